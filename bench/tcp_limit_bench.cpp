// tcp_limit_bench: the machine's limit for one loopback TCP stream.
//
// Sends a file (normally 1 GiB, pre-read into the page cache) over one
// 127.0.0.1 TCP connection with every sender path we might ship
// (sendfile in one call / in 128 KiB, 512 KiB, 1 MiB chunks, splice
// file->pipe->socket, pread+send with a 1 MiB buffer, and with 4 MiB) against
//   - receivers that discard (recv into a 1 MiB buffer, plain or
//     MSG_WAITALL): the download limit;
//   - receivers that write to a file in /tmp (recv+write with a 1 MiB buffer,
//     plain or MSG_WAITALL; splice socket->pipe->file): the upload limit;
//   - the same file receivers computing xxh128 as the server must for an
//     upload: in the receive loop (recv+hash+write), or after splicing the
//     whole body to the file, by reading it back from the page cache
//     (splice+hash-after): which of the two ferryd should use.
// Each measurement is repeated (best of N) because the machine is noisy.
//
// Usage: tcp_limit_bench FILE [--reps N] [--tmpdir DIR] [--quick] [--verify] [--threads]
//   --quick   file receivers only with the pread+send senders
//   --verify  compare every received file with the source (untimed)
//   --threads receiver in a thread of this process (default: a child process)
// Last line (machine-readable):
//   LIMIT download_MBps=... upload_MBps=... best_download_path=... best_upload_path=...
//         upload_recv_write_MBps=...  (best with a recv+write receiver: data
//         through user space, where a digest can be computed in the same pass)
//   UPLOAD_HASHED recv_hash_write_MBps=... splice_then_hash_MBps=... faster=...
//
// Not a test; plain POSIX; the receiver is a forked child (or a thread).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "transfer/digest.hpp"

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "tcp_limit_bench: %s: %s\n", what, std::strerror(errno));
  std::exit(2);
}

[[noreturn]] void die_msg(const std::string& what) {
  std::fprintf(stderr, "tcp_limit_bench: %s\n", what.c_str());
  std::exit(2);
}

double now_s() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// ---- senders: (file fd, socket fd, size) -> bytes sent ----------------------

using Sender = std::function<std::uint64_t(int, int, std::uint64_t)>;

std::uint64_t send_sendfile_chunked(int in, int out, std::uint64_t size, std::size_t chunk) {
  off_t off = 0;
  std::uint64_t done = 0;
  while (done < size) {
    std::uint64_t left = size - done;
    std::size_t want = left < chunk ? static_cast<std::size_t>(left) : chunk;
    ssize_t n = ::sendfile(out, in, &off, want);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      die("sendfile");
    }
    if (n == 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  return done;
}

std::uint64_t send_sendfile_one(int in, int out, std::uint64_t size) {
  // One huge call; the kernel caps one call at 0x7ffff000 bytes, so loop only
  // to finish a short transfer.
  return send_sendfile_chunked(in, out, size, static_cast<std::size_t>(size));
}

std::uint64_t send_splice(int in, int out, std::uint64_t size, std::size_t chunk) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) die("pipe2");
  // Make the pipe as large as we are allowed (default max 1 MiB).
  (void)::fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(chunk));
  loff_t off = 0;
  std::uint64_t done = 0;
  while (done < size) {
    std::uint64_t left = size - done;
    std::size_t want = left < chunk ? static_cast<std::size_t>(left) : chunk;
    ssize_t n = ::splice(in, &off, p[1], nullptr, want, SPLICE_F_MOVE | SPLICE_F_MORE);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("splice file->pipe");
    }
    if (n == 0) break;
    auto inpipe = static_cast<std::size_t>(n);
    while (inpipe > 0) {
      ssize_t m = ::splice(p[0], nullptr, out, nullptr, inpipe, SPLICE_F_MOVE | SPLICE_F_MORE);
      if (m < 0) {
        if (errno == EINTR) continue;
        die("splice pipe->socket");
      }
      inpipe -= static_cast<std::size_t>(m);
      done += static_cast<std::uint64_t>(m);
    }
  }
  ::close(p[0]);
  ::close(p[1]);
  return done;
}

std::uint64_t send_pread_send(int in, int out, std::uint64_t size, std::size_t bufsz) {
  std::vector<char> buf(bufsz);
  std::uint64_t done = 0;
  while (done < size) {
    std::uint64_t left = size - done;
    std::size_t want = left < bufsz ? static_cast<std::size_t>(left) : bufsz;
    ssize_t n = ::pread(in, buf.data(), want, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      die("pread");
    }
    if (n == 0) break;
    auto got = static_cast<std::size_t>(n);
    std::size_t sent = 0;
    while (sent < got) {
      ssize_t m = ::send(out, buf.data() + sent, got - sent, MSG_NOSIGNAL);
      if (m < 0) {
        if (errno == EINTR) continue;
        die("send");
      }
      sent += static_cast<std::size_t>(m);
    }
    done += got;
  }
  return done;
}

// ---- receivers: (socket fd) -> bytes received --------------------------------

using Receiver = std::function<std::uint64_t(int)>;

// flags: 0 (return whatever is there) or MSG_WAITALL (sleep until the buffer
// is full: fewer wake-ups and syscalls, as ferry's client reads bodies).
std::uint64_t recv_discard(int s, std::size_t bufsz, int flags) {
  std::vector<char> buf(bufsz);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::recv(s, buf.data(), buf.size(), flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    if (n == 0) break;
    total += static_cast<std::uint64_t>(n);
  }
  return total;
}

void write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

int open_sink(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) die("open sink file");
  return fd;
}

std::uint64_t recv_write(int s, const std::string& path, int flags) {
  int fd = open_sink(path);
  std::vector<char> buf(MiB);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::recv(s, buf.data(), buf.size(), flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    if (n == 0) break;
    write_all(fd, buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
  return total;
}

std::uint64_t recv_splice_file(int s, const std::string& path) {
  int fd = open_sink(path);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) die("pipe2");
  (void)::fcntl(p[1], F_SETPIPE_SZ, static_cast<int>(MiB));
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::splice(s, nullptr, p[1], nullptr, MiB, SPLICE_F_MOVE | SPLICE_F_MORE);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("splice socket->pipe");
    }
    if (n == 0) break;
    auto inpipe = static_cast<std::size_t>(n);
    while (inpipe > 0) {
      ssize_t m = ::splice(p[0], nullptr, fd, nullptr, inpipe, SPLICE_F_MOVE | SPLICE_F_MORE);
      if (m < 0) {
        if (errno == EINTR) continue;
        die("splice pipe->file");
      }
      inpipe -= static_cast<std::size_t>(m);
      total += static_cast<std::uint64_t>(m);
    }
  }
  ::close(p[0]);
  ::close(p[1]);
  ::close(fd);
  return total;
}

// The server's upload work with the digest it must check: hashed as received.
std::uint64_t recv_hash_write(int s, const std::string& path) {
  int fd = open_sink(path);
  auto d = ferry::transfer::digest::make("xxh128");
  std::vector<char> buf(MiB);
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = ::recv(s, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("recv");
    }
    if (n == 0) break;
    d->update(buf.data(), static_cast<std::size_t>(n));
    write_all(fd, buf.data(), static_cast<std::size_t>(n));
    total += static_cast<std::uint64_t>(n);
  }
  (void)d->hex();
  ::close(fd);
  return total;
}

// The other way: the body goes socket -> pipe -> file in the kernel, and the
// part file is hashed afterwards from the page cache.
std::uint64_t splice_then_hash(int s, const std::string& path) {
  const auto total = recv_splice_file(s, path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open sink for hashing");
  auto d = ferry::transfer::digest::make("xxh128");
  std::vector<char> buf(MiB);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read sink");
    }
    if (n == 0) break;
    d->update(buf.data(), static_cast<std::size_t>(n));
  }
  (void)d->hex();
  ::close(fd);
  return total;
}

// ---- one run -----------------------------------------------------------------

bool g_threads = false;  // --threads: receiver in a thread instead of a child process

// Returns GB/s (decimal) of one transfer, timed from connect to the receiver
// having consumed (and, for file receivers, written) the last byte.
double run_once(const std::string& file, std::uint64_t size, const Sender& sender,
                const Receiver& receiver) {
  int ls = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (ls < 0) die("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind");
  if (::listen(ls, 1) != 0) die("listen");
  socklen_t alen = sizeof a;
  if (::getsockname(ls, reinterpret_cast<sockaddr*>(&a), &alen) != 0) die("getsockname");

  // The receiver runs in a child process (as ferry's client and server are
  // two processes) or, with --threads, in a thread of this one.
  struct rx_result {
    std::uint64_t received;
    double t_end;
  };
  rx_result res{0, 0.0};
  auto receive = [&]() -> rx_result {
    int s = ::accept4(ls, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) die("accept");
    rx_result r{receiver(s), 0.0};
    r.t_end = now_s();
    ::close(s);
    return r;
  };
  std::thread rx;
  pid_t child = -1;
  int report[2] = {-1, -1};
  if (g_threads) {
    rx = std::thread([&] { res = receive(); });
  } else {
    if (::pipe2(report, O_CLOEXEC) != 0) die("pipe2");
    child = ::fork();
    if (child < 0) die("fork");
    if (child == 0) {
      ::close(report[0]);
      const rx_result r = receive();
      const bool ok = ::write(report[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
      ::_exit(ok ? 0 : 3);
    }
    ::close(report[1]);
    ::close(ls);  // only the child listens: if it dies, connect/send fail instead of hanging
    ls = -1;
  }

  int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) die("open source file");
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0) die("socket");
  double t0 = now_s();
  if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect");
  std::uint64_t sent = sender(in, c, size);
  ::shutdown(c, SHUT_WR);
  if (g_threads) {
    rx.join();
  } else {
    if (::read(report[0], &res, sizeof res) != static_cast<ssize_t>(sizeof res)) die_msg("receiver process failed");
    ::close(report[0]);
    int status = 0;
    (void)::waitpid(child, &status, 0);
  }
  ::close(c);
  ::close(in);
  if (ls >= 0) ::close(ls);
  if (sent != size || res.received != size) {
    die_msg("short transfer: sent " + std::to_string(sent) + " received " +
            std::to_string(res.received) + " of " + std::to_string(size));
  }
  double secs = res.t_end - t0;
  return static_cast<double>(size) / secs / 1e9;
}

void preload(const std::string& file, std::uint64_t size) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open source file");
  (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED);
  std::vector<char> buf(4 * MiB);
  std::uint64_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    done += static_cast<std::uint64_t>(n);
  }
  ::close(fd);
}

// True when `a` and `b` hold the same bytes (checks a receiver's output).
bool same_content(const std::string& a, const std::string& b) {
  int fa = ::open(a.c_str(), O_RDONLY | O_CLOEXEC);
  int fb = ::open(b.c_str(), O_RDONLY | O_CLOEXEC);
  bool same = fa >= 0 && fb >= 0;
  std::vector<char> ba(4 * MiB), bb(4 * MiB);
  while (same) {
    ssize_t na = ::read(fa, ba.data(), ba.size());
    ssize_t nb = ::read(fb, bb.data(), bb.size());
    if (na != nb || na < 0) same = false;
    else if (na == 0) break;
    else same = std::memcmp(ba.data(), bb.data(), static_cast<std::size_t>(na)) == 0;
  }
  if (fa >= 0) ::close(fa);
  if (fb >= 0) ::close(fb);
  return same;
}

struct Path {
  std::string name;
  Sender send;
};

struct Sink {
  std::string name;
  bool to_file;
  Receiver recv;
};

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  int reps = 3;
  std::string tmpdir = "/tmp";
  bool quick = false;
  bool verify = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (a == "--tmpdir" && i + 1 < argc) {
      tmpdir = argv[++i];
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--verify") {
      verify = true;
    } else if (a == "--threads") {
      g_threads = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s FILE [--reps N] [--tmpdir DIR] [--quick] [--verify] [--threads]\n", argv[0]);
      return 0;
    } else if (file.empty()) {
      file = a;
    } else {
      die_msg("unexpected argument: " + a);
    }
  }
  if (file.empty()) die_msg("usage: tcp_limit_bench FILE [--reps N] [--tmpdir DIR] [--quick] [--verify] [--threads]");
  if (reps < 1) reps = 1;

  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) die("stat source file");
  auto size = static_cast<std::uint64_t>(st.st_size);
  if (size == 0) die_msg("source file is empty");
  preload(file, size);

  std::string sink_path = tmpdir + "/tcp_limit_bench.sink." + std::to_string(::getpid());

  std::vector<Path> senders = {
      {"sendfile-1call", [](int i, int o, std::uint64_t n) { return send_sendfile_one(i, o, n); }},
      {"sendfile-128K",
       [](int i, int o, std::uint64_t n) { return send_sendfile_chunked(i, o, n, 128 * KiB); }},
      {"sendfile-512K",
       [](int i, int o, std::uint64_t n) { return send_sendfile_chunked(i, o, n, 512 * KiB); }},
      {"sendfile-1M",
       [](int i, int o, std::uint64_t n) { return send_sendfile_chunked(i, o, n, MiB); }},
      {"splice-1M", [](int i, int o, std::uint64_t n) { return send_splice(i, o, n, MiB); }},
      {"pread+send-1M",
       [](int i, int o, std::uint64_t n) { return send_pread_send(i, o, n, MiB); }},
      {"pread+send-4M",
       [](int i, int o, std::uint64_t n) { return send_pread_send(i, o, n, 4 * MiB); }},
  };
  std::vector<Sink> sinks = {
      {"recv-discard", false, [](int s) { return recv_discard(s, MiB, 0); }},
      {"recv-discard-waitall", false, [](int s) { return recv_discard(s, MiB, MSG_WAITALL); }},
      {"recv+write-file", true, [&](int s) { return recv_write(s, sink_path, 0); }},
      {"recv-waitall+write", true, [&](int s) { return recv_write(s, sink_path, MSG_WAITALL); }},
      {"splice-to-file", true, [&](int s) { return recv_splice_file(s, sink_path); }},
      {"recv+hash+write", true, [&](int s) { return recv_hash_write(s, sink_path); }},
      {"splice+hash-after", true, [&](int s) { return splice_then_hash(s, sink_path); }},
  };
  double hashed_recv = 0, hashed_splice = 0;

  std::printf("tcp_limit_bench: %s, %.3f GB, best of %d, loopback 127.0.0.1, receiver in a %s\n",
              file.c_str(), static_cast<double>(size) / 1e9, reps, g_threads ? "thread" : "child process");
  std::printf("%-16s %-20s %8s   %s\n", "sender", "receiver", "GB/s", "runs");

  double best_down = 0, best_up = 0, best_up_copy = 0;
  std::string best_down_path, best_up_path;
  for (const auto& sink : sinks) {
    for (const auto& snd : senders) {
      // For the file receivers the sender barely matters; in --quick mode only
      // pair them with the copy sender.
      if (quick && sink.to_file && snd.name.rfind("pread+send", 0) != 0) continue;
      double best = 0;
      std::string runs;
      for (int r = 0; r < reps; ++r) {
        double g = run_once(file, size, snd.send, sink.recv);
        if (sink.to_file) {
          if (verify && !same_content(file, sink_path))
            die_msg(snd.name + " -> " + sink.name + ": the received file differs from the source");
          // Drop the sink's pages between runs so each run writes fresh pages.
          ::unlink(sink_path.c_str());
        }
        char b[32];
        std::snprintf(b, sizeof b, "%s%.2f", r ? " " : "", g);
        runs += b;
        if (g > best) best = g;
      }
      std::printf("%-16s %-20s %8.2f   %s\n", snd.name.c_str(), sink.name.c_str(), best,
                  runs.c_str());
      std::fflush(stdout);
      std::string path = snd.name + "->" + sink.name;
      if (sink.name == "recv+hash+write") {
        hashed_recv = std::max(hashed_recv, best);
      } else if (sink.name == "splice+hash-after") {
        hashed_splice = std::max(hashed_splice, best);
      } else if (sink.to_file) {
        if (sink.name != "splice-to-file" && best > best_up_copy) best_up_copy = best;
        if (best > best_up) {
          best_up = best;
          best_up_path = path;
        }
      } else if (best > best_down) {
        best_down = best;
        best_down_path = path;
      }
    }
  }
  ::unlink(sink_path.c_str());
  std::printf("download limit: %.2f GB/s (%s)\n", best_down, best_down_path.c_str());
  std::printf("upload limit:   %.2f GB/s (%s)\n", best_up, best_up_path.c_str());
  std::printf("upload limit with recv+write (data through user space): %.2f GB/s\n", best_up_copy);
  std::printf(
      "LIMIT download_MBps=%.0f upload_MBps=%.0f best_download_path=%s best_upload_path=%s "
      "upload_recv_write_MBps=%.0f\n",
      best_down * 1000, best_up * 1000, best_down_path.c_str(), best_up_path.c_str(),
      best_up_copy * 1000);
  std::printf("UPLOAD_HASHED recv_hash_write_MBps=%.0f splice_then_hash_MBps=%.0f faster=%s\n", hashed_recv * 1000,
              hashed_splice * 1000, hashed_recv >= hashed_splice ? "recv+hash+write" : "splice+hash-after");
  return 0;
}
