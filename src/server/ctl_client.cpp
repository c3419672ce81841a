// `ferryd ctl`: connect, send one framed request, print the reply.
#include "server/ctl_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <ostream>

#include <nlohmann/json.hpp>

#include "proto/frame.hpp"
#include "server/ctl_format.hpp"

namespace ferry::server {
namespace {

using json = nlohmann::json;
/// A reply must come within this (a reload re-reads files; a drain only starts).
constexpr int reply_seconds = 30;
/// A sessions list of every possible session fits many times over.
constexpr std::uint64_t max_reply_body = 64u << 20;

class fd_guard {
 public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

/// Connects to `path`; -1 with a sentence in `error` when it cannot.
int dial(const std::filesystem::path& root, const std::filesystem::path& path, std::string& error) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof sa.sun_path) {
    error = path.string() + ": path too long for a Unix socket";
    return -1;
  }
  std::memcpy(sa.sun_path, path.c_str(), path.native().size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0) {
    timeval tv{reply_seconds, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
  }
  const int e = errno;
  ::close(fd);
  if (e == ENOENT) error = "no ferryd is serving " + root.string() + " (no " + path.string() + ")";
  else if (e == ECONNREFUSED)
    error = "no ferryd is serving " + root.string() + " (" + path.string() + " is left from a server that is gone)";
  else if (e == EACCES || e == EPERM)
    error = "permission denied: " + path.string() + " is for root and the service user only";
  else error = "cannot connect to " + path.string() + ": " + std::strerror(e);
  return -1;
}

bool read_exact(int fd, char* p, std::size_t n, std::string& error) {
  while (n > 0) {
    const auto r = ::read(fd, p, n);
    if (r > 0) {
      p += r;
      n -= static_cast<std::size_t>(r);
    } else if (r == 0) {
      error = "the server closed the connection without an answer";
      return false;
    } else if (errno != EINTR) {
      error = errno == EAGAIN || errno == EWOULDBLOCK ? "no answer from the server within 30 s"
                                                      : std::string("read: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

/// One request, one reply (header and body).
bool call(int fd, const json& req, json& reply, std::string& body, std::string& error) {
  const auto frame = proto::encode_frame(req);
  // A server that refuses the connection (403, 429) answers and closes at
  // once, maybe before the request is sent: read its answer even then.
  std::string send_error;
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size()))
    send_error = std::string("send: ") + std::strerror(errno);
  proto::frame_decoder dec;
  std::uint64_t n = 0;
  char buf[4096];
  for (;;) {
    const auto r = dec.next(reply, n);
    if (r == proto::frame_decoder::result::frame) break;
    if (r != proto::frame_decoder::result::need_more) {
      error = "the server's answer is not a valid frame";
      return false;
    }
    const auto got = ::read(fd, buf, sizeof buf);
    if (got > 0) {
      dec.feed({buf, static_cast<std::size_t>(got)});
    } else if (got == 0) {
      error = send_error.empty() ? "the server closed the connection without an answer" : send_error;
      return false;
    } else if (errno != EINTR) {
      error = errno == EAGAIN || errno == EWOULDBLOCK ? "no answer from the server within 30 s"
                                                      : std::string("read: ") + std::strerror(errno);
      return false;
    }
  }
  if (n > max_reply_body) {
    error = "the server's answer is too large";
    return false;
  }
  body.assign(dec.take_body(static_cast<std::size_t>(n)));
  const auto rest = static_cast<std::size_t>(n) - body.size();
  if (rest > 0) {
    const auto at = body.size();
    body.resize(static_cast<std::size_t>(n));
    if (!read_exact(fd, body.data() + at, rest, error)) return false;
  }
  return true;
}

}  // namespace

int run_ctl(const std::filesystem::path& root, const ctl_command& cmd, std::ostream& out, std::ostream& err) {
  json req{{"op", cmd.op}, {"id", 1}};
  if (cmd.op == "kick") {
    if (cmd.target.empty()) {
      err << "ferryd: kick needs a session ID or a USER\n";
      return 2;
    }
    // All digits: a session id (ferryd user names start with a letter).
    if (cmd.target.find_first_not_of("0123456789") == std::string::npos && cmd.target.size() < 20)
      req["session"] = std::stoull(cmd.target);
    else req["user"] = cmd.target;
  }
  std::string error;
  const auto path = root / "ctl.sock";
  fd_guard fd(dial(root, path, error));
  json reply;
  std::string body;
  if (fd.get() < 0 || !call(fd.get(), req, reply, body, error)) {
    err << "ferryd: " << error << "\n";
    return 1;
  }
  const int status = reply.contains("status") && reply["status"].is_number_integer() ? reply["status"].get<int>() : 0;
  if (status < 200 || status >= 300) {
    const auto msg = reply.contains("message") && reply["message"].is_string() ? reply["message"].get<std::string>() : reply.dump();
    if (status == 403) err << "ferryd: permission denied: " << msg << "\n";
    else err << "ferryd: " << cmd.op << ": " << msg << "\n";
    return 1;
  }
  if (cmd.op == "sessions") {
    const auto list = json::parse(body, nullptr, false);
    if (cmd.json) out << list.dump() << "\n";
    else out << format_sessions(list, static_cast<std::int64_t>(std::time(nullptr)));
    return 0;
  }
  reply.erase("id");
  reply.erase("status");
  // A reload that kept old settings or accounts (a file did not load) is a
  // failure for scripts and `systemctl reload`.
  const int result = cmd.op == "reload" && !reply.value("ok", true) ? 1 : 0;
  if (cmd.json) {
    out << (cmd.op == "stats" && reply.contains("stats") ? reply["stats"] : reply).dump() << "\n";
    return result;
  }
  if (cmd.op == "stats") out << format_stats(reply["stats"]);
  else if (cmd.op == "kick") out << "kicked " << reply.value("kicked", 0u) << " session(s)\n";
  else if (cmd.op == "reload") {
    if (reply.contains("report") && reply["report"].is_array())
      for (const auto& line : reply["report"]) out << line.get<std::string>() << "\n";
  } else if (cmd.op == "drain") {
    if (reply.value("draining", false))
      out << "draining: " << reply.value("sessions", 0u) << " session(s) to finish; the server stops after them\n";
    else out << "already draining\n";
  }
  return result;
}

}  // namespace ferry::server
