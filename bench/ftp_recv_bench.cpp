// ftp_recv_bench: an FTP client that cannot be the bottleneck, for bench/ftp.sh.
//
// Each client logs in (USER/PASS), TYPE I, PASV, RETR FILE and discards the
// data with large reads (recv into a 1 MiB buffer), then reads the 226 and
// QUITs. With --clients N, N threads do this at once (released together);
// with --login-only they only connect and log in, wait until all N are logged
// in (so the server holds N sessions at once), hold them --hold-ms, then QUIT.
//
// Usage: ftp_recv_bench --port P --user U --pass W [--host 127.0.0.1]
//          [--file NAME] [--clients N] [--expect BYTES] [--buf BYTES]
//          [--timeout S] [--login-only] [--hold-ms MS] [--greeting-ms MS]
//          [--attempts N]
// Last line (machine-readable):
//   RECV clients=N ok=K bytes=B wall_us=T MBps=X data_MBps=Y reconnects=R
//   (wall: first connect to last 226 (or, --login-only, to the last 230);
//    data: RETR sent to the data connection's EOF, summed bytes over the span
//    from the first RETR to the last EOF; reconnects: connections made again
//    because no greeting came within --greeting-ms (3000), see control)
// Exit status: 0 when every client succeeded (and got --expect bytes), 1 if
// any failed (the reason is printed on stderr), 2 on usage errors.
//
// Not a test; plain POSIX sockets; every socket has SO_RCVTIMEO/SO_SNDTIMEO,
// so a stuck server ends the run after --timeout seconds.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

struct options {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string user, pass, file;
    int clients = 1;
    long long expect = -1;
    size_t buf = 1 << 20;
    int timeout = 120;
    int greeting_ms = 3000;
    int attempts = 5;
    bool login_only = false;
    int hold_ms = 0;
};

struct result {
    bool ok = false;
    std::string err;
    long long bytes = 0;
    int retries = 0;
    clock_type::time_point retr_sent{}, eof{}, done{};
};

// A started-together gate and an all-logged-in gate.
struct gate {
    std::mutex m;
    std::condition_variable cv;
    int count = 0;
    bool open = false;
    void arrive_and_wait(int n) {
        std::unique_lock lk(m);
        if (++count >= n) {
            open = true;
            cv.notify_all();
        }
        cv.wait(lk, [&] { return open; });
    }
};

class conn_error : public std::exception {
public:
    explicit conn_error(std::string m) : msg_(std::move(m)) {}
    const char* what() const noexcept override { return msg_.c_str(); }

private:
    std::string msg_;
};

int connect_to(const std::string& host, int port, int timeout) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw conn_error(std::string("socket: ") + std::strerror(errno));
    timeval tv{timeout, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    if (::inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) {
        ::close(fd);
        throw conn_error("bad host " + host);
    }
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        int e = errno;
        ::close(fd);
        throw conn_error("connect " + host + ":" + std::to_string(port) + ": " + std::strerror(e));
    }
    return fd;
}

class control {
public:
    // Connects and reads the 220 greeting. A connection that gets no greeting
    // within --greeting-ms is closed and made again (at most --attempts
    // times): when a server's accept queue overflows, Linux drops the
    // handshake's last ACK (with SYN cookies nothing retransmits it), the
    // client believes it is connected, and since FTP servers speak first it
    // would wait forever. Real clients time out and reconnect the same way;
    // the wall time includes it and the retries are counted.
    control(const options& o, int& retries) : fd_(-1) {
        for (int attempt = 1;; ++attempt) {
            fd_ = connect_to(o.host, o.port, o.timeout);
            set_timeout_ms(o.greeting_ms);
            try {
                int g = reply();
                if (g != 220) throw conn_error("greeting: " + last_);
                break;
            } catch (const conn_error&) {
                bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK;
                ::close(fd_);
                fd_ = -1;
                buf_.clear();
                if (!timed_out || attempt >= o.attempts) throw;
                ++retries;
            }
        }
        set_timeout_ms(o.timeout * 1000);
    }
    void set_timeout_ms(int ms) {
        timeval tv{ms / 1000, (ms % 1000) * 1000};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~control() {
        if (fd_ >= 0) ::close(fd_);
    }
    control(const control&) = delete;
    control& operator=(const control&) = delete;

    // One reply (multi-line replies folded); returns its code, text in last_.
    int reply() {
        std::string first = line();
        if (first.size() < 3) throw conn_error("short reply '" + first + "'");
        last_ = first;
        if (first.size() > 3 && first[3] == '-') {
            std::string end = first.substr(0, 3) + " ";
            for (;;) {
                std::string l = line();
                last_ += "\n" + l;
                if (l.compare(0, 4, end) == 0) break;
            }
        }
        return std::atoi(first.substr(0, 3).c_str());
    }
    void send(const std::string& cmd) {
        std::string s = cmd + "\r\n";
        size_t off = 0;
        while (off < s.size()) {
            ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw conn_error(std::string("send: ") + std::strerror(errno));
            off += static_cast<size_t>(n);
        }
    }
    int command(const std::string& cmd) {
        send(cmd);
        return reply();
    }
    void expect(const std::string& cmd, int lo, int hi) {
        int c = command(cmd);
        if (c < lo || c > hi) {
            std::string shown = cmd.rfind("PASS ", 0) == 0 ? "PASS ****" : cmd;
            throw conn_error(shown + ": " + last_);
        }
    }
    const std::string& last() const { return last_; }

private:
    std::string line() {
        for (;;) {
            size_t nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string l = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                if (!l.empty() && l.back() == '\r') l.pop_back();
                return l;
            }
            char tmp[4096];
            ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n == 0) throw conn_error("control connection closed by the server");
            if (n < 0) {
                int e = errno;
                conn_error err(std::string("control recv: ") + std::strerror(e));
                errno = e;
                throw err;
            }
            buf_.append(tmp, static_cast<size_t>(n));
            if (buf_.size() > 65536) throw conn_error("reply line too long");
        }
    }
    int fd_;
    std::string buf_, last_;
};

void login(control& c, const options& o) {
    int u = c.command("USER " + o.user);
    if (u == 331) c.expect("PASS " + o.pass, 230, 230);
    else if (u != 230) throw conn_error("USER: " + c.last());
}

void one_client(const options& o, result& r, gate& start, gate& logged_in) {
    start.arrive_and_wait(o.clients);
    try {
        control c(o, r.retries);
        login(c, o);
        if (o.login_only) {
            r.done = clock_type::now();
            logged_in.arrive_and_wait(o.clients);
            if (o.hold_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.hold_ms));
            c.command("QUIT");
            r.ok = true;
            return;
        }
        c.expect("TYPE I", 200, 299);
        c.expect("PASV", 227, 227);
        // 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)
        const std::string& t = c.last();
        size_t lp = t.find('(');
        unsigned h[4], p[2];
        if (lp == std::string::npos ||
            std::sscanf(t.c_str() + lp + 1, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3], &p[0], &p[1]) != 6)
            throw conn_error("cannot parse PASV reply: " + t);
        int dport = static_cast<int>(p[0] * 256 + p[1]);
        int d = connect_to(o.host, dport, o.timeout);
        std::vector<char> buf(o.buf);
        try {
            r.retr_sent = clock_type::now();
            int code = c.command("RETR " + o.file);
            if (code != 150 && code != 125) throw conn_error("RETR: " + c.last());
            for (;;) {
                ssize_t n = ::recv(d, buf.data(), buf.size(), 0);
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) throw conn_error(std::string("data recv: ") + std::strerror(errno));
                if (n == 0) break;
                r.bytes += n;
            }
            r.eof = clock_type::now();
        } catch (...) {
            ::close(d);
            throw;
        }
        ::close(d);
        int fin = c.reply();
        r.done = clock_type::now();
        if (fin != 226 && fin != 250) throw conn_error("after the data: " + c.last());
        if (o.expect >= 0 && r.bytes != o.expect)
            throw conn_error("got " + std::to_string(r.bytes) + " bytes, expected " + std::to_string(o.expect));
        c.command("QUIT");
        r.ok = true;
    } catch (const std::exception& e) {
        r.err = e.what();
        if (o.login_only) logged_in.arrive_and_wait(o.clients); // do not hold the others forever
    }
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: ftp_recv_bench --port P --user U --pass W [--host H] [--file NAME] [--clients N]\n"
                 "         [--expect BYTES] [--buf BYTES] [--timeout S] [--login-only] [--hold-ms MS]\n"
                 "         [--greeting-ms MS] [--attempts N]\n");
    std::exit(2);
}

} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--host") o.host = val();
        else if (a == "--port") o.port = std::atoi(val().c_str());
        else if (a == "--user") o.user = val();
        else if (a == "--pass") o.pass = val();
        else if (a == "--file") o.file = val();
        else if (a == "--clients") o.clients = std::atoi(val().c_str());
        else if (a == "--expect") o.expect = std::atoll(val().c_str());
        else if (a == "--buf") o.buf = static_cast<size_t>(std::atoll(val().c_str()));
        else if (a == "--timeout") o.timeout = std::atoi(val().c_str());
        else if (a == "--login-only") o.login_only = true;
        else if (a == "--hold-ms") o.hold_ms = std::atoi(val().c_str());
        else if (a == "--greeting-ms") o.greeting_ms = std::atoi(val().c_str());
        else if (a == "--attempts") o.attempts = std::atoi(val().c_str());
        else usage();
    }
    if (o.port <= 0 || o.user.empty() || o.clients < 1 || o.clients > 10000 || o.buf < 4096 || o.timeout < 1 || o.greeting_ms < 1 || o.attempts < 1 ||
        (!o.login_only && o.file.empty()))
        usage();

    std::vector<result> res(static_cast<size_t>(o.clients));
    gate start, logged_in;
    std::vector<std::thread> threads;
    threads.reserve(res.size());
    // The clock starts when the last thread is released (threads are created first).
    auto t0 = clock_type::now();
    for (auto& r : res) threads.emplace_back(one_client, std::cref(o), std::ref(r), std::ref(start), std::ref(logged_in));
    {
        std::unique_lock lk(start.m);
        start.cv.wait(lk, [&] { return start.open; });
        t0 = clock_type::now();
    }
    for (auto& t : threads) t.join();

    int ok = 0, shown = 0;
    long long bytes = 0;
    clock_type::time_point last_done = t0, first_retr = clock_type::time_point::max(), last_eof = t0;
    int retries = 0;
    for (auto& r : res) {
        retries += r.retries;
        if (!r.ok) {
            if (++shown <= 3) std::fprintf(stderr, "client failed: %s\n", r.err.c_str());
            continue;
        }
        ++ok;
        bytes += r.bytes;
        if (r.done > last_done) last_done = r.done;
        if (!o.login_only) {
            if (r.retr_sent < first_retr) first_retr = r.retr_sent;
            if (r.eof > last_eof) last_eof = r.eof;
        }
    }
    if (shown > 3) std::fprintf(stderr, "... %d clients failed in all\n", shown);
    using us = std::chrono::microseconds;
    long long wall = std::chrono::duration_cast<us>(last_done - t0).count();
    long long data = ok && !o.login_only ? std::chrono::duration_cast<us>(last_eof - first_retr).count() : 0;
    std::printf("RECV clients=%d ok=%d bytes=%lld wall_us=%lld MBps=%.0f data_MBps=%.0f reconnects=%d\n", o.clients, ok,
                bytes, wall,
                wall > 0 ? static_cast<double>(bytes) / static_cast<double>(wall) : 0.0,
                data > 0 ? static_cast<double>(bytes) / static_cast<double>(data) : 0.0, retries);
    return ok == o.clients ? 0 : 1;
}
