// The UDP status ping: one connected UDP socket, poll() for each reply.
#include "client/ping.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <ostream>
#include <random>
#include <span>

#include <fmt/format.h>

#include "client/target.hpp"

namespace ferry::client {
namespace {

namespace st = proto::status;
using clock = std::chrono::steady_clock;

volatile std::sig_atomic_t interrupted = 0;

void on_sigint(int) { interrupted = 1; }

/// SIGINT ends the ping with its summary, as in ping(8); restored on exit.
class sigint_guard {
 public:
  sigint_guard() {
    struct sigaction sa {};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR
    ::sigaction(SIGINT, &sa, &old_);
  }
  ~sigint_guard() { ::sigaction(SIGINT, &old_, nullptr); }
  sigint_guard(const sigint_guard&) = delete;
  sigint_guard& operator=(const sigint_guard&) = delete;

 private:
  struct sigaction old_ {};
};

double ms_between(clock::time_point a, clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

/// Waits until `until` or SIGINT; false when interrupted.
bool sleep_until(clock::time_point until) {
  while (!interrupted) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock::now()).count();
    if (left <= 0) return true;
    ::poll(nullptr, 0, static_cast<int>(std::min<long long>(left, 1000)));
  }
  return false;
}

std::string numeric_host(const sockaddr* sa, socklen_t len) {
  char host[NI_MAXHOST] = "?";
  ::getnameinfo(sa, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  return host;
}

std::string load_words(std::uint16_t flags) {
  std::string s;
  if (flags & st::flag_busy) s = "busy";
  if (flags & st::flag_draining) s += s.empty() ? "draining" : ",draining";
  return s.empty() ? "ok" : s;
}

}  // namespace

void ping_stats::add(double rtt_ms) {
  min_ms = received == 0 ? rtt_ms : std::min(min_ms, rtt_ms);
  max_ms = received == 0 ? rtt_ms : std::max(max_ms, rtt_ms);
  sum_ms += rtt_ms;
  ++received;
}

std::string ping_stats::summary(const std::string& what, double elapsed_ms) const {
  const unsigned loss = sent == 0 ? 0 : (sent - received) * 100 / sent;
  std::string s = fmt::format("--- {} ferry ping statistics ---\n", what);
  s += fmt::format("{} sent, {} received, {}% loss, time {:.0f} ms\n", sent, received, loss, elapsed_ms);
  if (received > 0)
    s += fmt::format("rtt min/avg/max = {:.3f}/{:.3f}/{:.3f} ms\n", min_ms, sum_ms / received, max_ms);
  return s;
}

std::string format_reply(const std::string& from, unsigned seq, double rtt_ms, const st::reply& r) {
  const std::string sessions = r.max_sessions == 0 ? fmt::format("{}", r.sessions)
                                                   : fmt::format("{}/{}", r.sessions, r.max_sessions);
  return fmt::format("{} bytes from {}: seq={} time={:.3f} ms version={}.{}.{} uptime={}s sessions={} load={}\n",
                     st::datagram_size, from, seq, rtt_ms, r.server_major, r.server_minor, r.server_patch, r.uptime,
                     sessions, load_words(r.flags));
}

int run_ping(const ping_options& opt, std::ostream& out, std::ostream& err) {
  if (opt.interval < min_ping_interval || opt.timeout <= 0) {
    err << "ferry: ping: the interval must be at least " << min_ping_interval << " s and the timeout positive\n";
    return 2;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opt.port);
  if (const int rc = ::getaddrinfo(opt.host.c_str(), port.c_str(), &hints, &res); rc != 0 || res == nullptr) {
    err << "ferry: ping: " << opt.host << ": " << ::gai_strerror(rc) << '\n';
    return 1;
  }
  const std::string addr = numeric_host(res->ai_addr, res->ai_addrlen);
  const std::string shown = host_port(addr, opt.port);
  const int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
  // Connected: only the server's datagrams arrive, and an ICMP "port
  // unreachable" shows up as ECONNREFUSED.
  const bool ok = fd >= 0 && ::connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  ::freeaddrinfo(res);
  if (!ok) {
    err << "ferry: ping: " << shown << ": " << std::strerror(errno) << '\n';
    if (fd >= 0) ::close(fd);
    return 1;
  }

  out << "PING " << host_port(opt.host, opt.port) << " (" << shown << "): " << st::datagram_size
      << "-byte UDP status requests\n";
  out.flush();
  interrupted = 0;
  sigint_guard guard;
  std::mt19937_64 rng(std::random_device{}());
  const std::uint64_t base = rng();
  ping_stats stats;
  const auto started = clock::now();
  for (unsigned seq = 1; (opt.count == 0 || seq <= opt.count) && !interrupted; ++seq) {
    const auto sent_at = clock::now();
    const auto request = st::encode(st::request{base + seq});
    if (::send(fd, request.data(), request.size(), 0) < 0) {
      out << "seq=" << seq << ": send failed: " << std::strerror(errno) << '\n';
    }
    ++stats.sent;
    const auto deadline = sent_at + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.timeout));
    bool answered = false;
    while (!answered && !interrupted) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      std::array<std::uint8_t, st::datagram_size + 1> buf{};
      const auto n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == ECONNREFUSED) {
          out << "seq=" << seq << ": port unreachable (no ferryd on " << shown << "?)\n";
          break;
        }
        continue;
      }
      const auto reply = st::decode_reply(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(n)));
      if (!reply || reply->nonce != base + seq) continue;  // malformed, or a late answer to an earlier one
      const double rtt = ms_between(sent_at, clock::now());
      stats.add(rtt);
      out << format_reply(shown, seq, rtt, *reply);
      answered = true;
    }
    if (!answered && !interrupted && clock::now() >= deadline)
      out << "seq=" << seq << ": no reply within " << opt.timeout << " s\n";
    out.flush();
    if (opt.count != 0 && seq == opt.count) break;
    sleep_until(sent_at + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opt.interval)));
  }
  ::close(fd);
  out << '\n' << stats.summary(host_port(opt.host, opt.port), ms_between(started, clock::now()));
  out.flush();
  return stats.received > 0 ? 0 : 1;
}

}  // namespace ferry::client
