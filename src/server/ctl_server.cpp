// The admin socket: claiming ROOT/ctl.sock, the peer check, the bounded
// request loop and the ops (sessions, kick, stats, reload, drain).
#include "server/ctl_server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <array>
#include <stdexcept>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "proto/frame.hpp"
#include "proto/request.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::server {
namespace {

using json = nlohmann::json;
using session::use_nothrow;
using local = asio::local::stream_protocol;

/// What connect(2) says about `path`: 0 (a server answers), or errno.
int probe(const std::filesystem::path& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof sa.sun_path) return ENAMETOOLONG;
  std::memcpy(sa.sun_path, path.c_str(), path.native().size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  const int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
  const int e = r == 0 ? 0 : errno;
  ::close(fd);
  return e;
}

/// Takes over `path` unless a live server holds it.
void claim(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    throw std::runtime_error("cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode))
    throw std::runtime_error(path.string() + " exists and is not a socket; remove it if it is not needed");
  const int e = probe(path);
  if (e == 0)
    throw std::runtime_error("another ferryd is serving this root (it answers on " + path.string() +
                             "); stop it first (ferryd ctl drain)");
  // ECONNREFUSED: nobody listens, the file is a crashed server's leftover.
  if (e != ECONNREFUSED)
    throw std::runtime_error("cannot check " + path.string() + ": " + std::strerror(e));
  spdlog::info("ctl: replacing the stale socket {} (no server answers on it)", path.string());
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error("cannot remove the stale " + path.string() + ": " + std::strerror(errno));
}

std::string direction(bool incoming) { return incoming ? "in" : "out"; }

json sessions_json(const session::server_context& ctx) {
  json out = json::array();
  for (const auto& e : ctx.registry.list()) {
    json s;
    s["id"] = e.id;
    s["user"] = e.user;
    if (!e.activity) {
      out.push_back(std::move(s));
      continue;
    }
    const auto v = e.activity->read();
    s["peer"] = v.peer;
    s["protocol"] = v.protocol;
    s["tls"] = v.tls;
    s["since"] = v.since;
    s["idle"] = v.idle_ms / 1000;
    if (v.transferring) {
      s["transfer"] = {{"path", v.path}, {"direction", direction(v.incoming)}, {"size", v.size},
                       {"offset", v.offset}, {"done", v.done},  {"rate", static_cast<std::uint64_t>(v.rate)}};
    } else {
      s["transfer"] = nullptr;
    }
    out.push_back(std::move(s));
  }
  return out;
}

json stats_json(const session::stats_snapshot& s) {
  json sessions = json::object();
  std::uint64_t total = 0;
  for (const auto& [proto, n] : s.sessions) {
    sessions[proto] = n;
    total += n;
  }
  sessions["total"] = total;
  sessions["pending"] = s.pending;
  return {{"sessions", sessions},
          {"logins", {{"ok", s.logins_ok}, {"failed", s.logins_failed}}},
          {"bytes", {{"in", s.bytes_in}, {"out", s.bytes_out}}},
          {"transfers", {{"in", s.transfers_in}, {"out", s.transfers_out}, {"failed_in", s.failed_in}, {"failed_out", s.failed_out}}},
          {"exec_runs", s.exec_runs},
          {"uptime", static_cast<std::uint64_t>(s.uptime)},
          {"started", s.started}};
}

}  // namespace

session::stats_snapshot collect_stats(const session::server_context& ctx) {
  auto s = ctx.stats.snapshot();
  for (const auto* p : {"ferry", "ftp", "ftps"}) s.sessions[p] = 0;
  for (const auto& e : ctx.registry.list())
    if (e.activity) ++s.sessions[e.activity->read().protocol];
  s.pending = ctx.registry.pending();
  return s;
}

ctl_server::ctl_server(asio::io_context& loop, session::server_context& ctx, std::filesystem::path path,
                       unsigned allowed_uid, bool chown, unsigned uid, unsigned gid)
    : ctx_(ctx), path_(std::move(path)), allowed_uid_(allowed_uid), acceptor_(loop) {
  if (path_.native().size() >= sizeof(sockaddr_un::sun_path))
    throw std::runtime_error("the admin socket path " + path_.string() + " is longer than a Unix socket allows (" +
                             std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes): use a shorter --root");
  claim(path_);
  // SECURITY: 0600 from birth (umask), not chmod'ed after a window where
  // others could connect.
  const mode_t old = ::umask(0177);
  std::error_code ec;
  acceptor_.open(local(), ec);
  if (!ec) acceptor_.bind(local::endpoint(path_.string()), ec);
  ::umask(old);
  if (ec) throw std::runtime_error("cannot create " + path_.string() + ": " + ec.message());
  acceptor_.listen(static_cast<int>(ctl_max_connections), ec);
  if (ec) throw std::runtime_error("cannot listen on " + path_.string() + ": " + ec.message());
  if (::chmod(path_.c_str(), 0600) != 0 ||
      (chown && ::chown(path_.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0))
    throw std::runtime_error("cannot set the owner and mode of " + path_.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0) inode_ = st.st_ino;
}

ctl_server::~ctl_server() { close(); }

void ctl_server::start(actions a) {
  actions_ = std::move(a);
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void ctl_server::close() {
  if (!acceptor_.is_open()) return;
  std::error_code ec;
  acceptor_.close(ec);
  // Only our own file: a newer server may have taken the path since.
  struct stat st {};
  if (inode_ != 0 && ::stat(path_.c_str(), &st) == 0 && st.st_ino == inode_) ::unlink(path_.c_str());
}

asio::awaitable<void> ctl_server::accept_loop() {
  for (;;) {
    auto [ec, s] = co_await acceptor_.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      spdlog::error("ctl: accept: {}", ec.message());
      asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_nothrow);
      continue;
    }
    ucred cred{};
    socklen_t len = sizeof cred;
    // SECURITY: the 0600 mode is the first guard; the peer's uid is the second
    // (a socket passed on, or a mode changed by hand).
    if (::getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
        (cred.uid != 0 && cred.uid != allowed_uid_)) {
      spdlog::warn("ctl: refused a connection from uid {} (pid {}): only root and the service user (uid {})",
                   cred.uid, cred.pid, allowed_uid_);
      const auto f = proto::encode_frame(
          proto::error_reply(0, errc::forbidden, "only root and the service user may use the admin socket"));
      std::error_code wec;
      asio::write(s, asio::buffer(f), wec);  // a small frame into an empty socket buffer: never blocks
      continue;
    }
    if (open_ >= ctl_max_connections) {
      spdlog::warn("ctl: refused a connection from pid {}: {} ctl connections already open", cred.pid, open_);
      const auto f = proto::encode_frame(proto::error_reply(0, errc::too_many_sessions, "too many ctl connections"));
      std::error_code wec;
      asio::write(s, asio::buffer(f), wec);
      continue;
    }
    ++open_;
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(s)), asio::detached);
  }
}

asio::awaitable<void> ctl_server::serve(socket s) {
  using namespace asio::experimental::awaitable_operators;
  proto::frame_decoder dec;
  std::array<char, 4096> buf;
  asio::steady_timer timer(s.get_executor());
  for (bool open = true; open;) {
    json req;
    std::uint64_t body = 0;
    const auto r = dec.next(req, body);
    if (r == proto::frame_decoder::result::need_more) {
      // Every wait is bounded: a client that connects and says nothing (or
      // sends a header one byte a minute) is dropped at the idle timeout.
      timer.expires_after(ctl_idle_timeout);
      auto got = co_await (s.async_read_some(asio::buffer(buf), use_nothrow) || timer.async_wait(use_nothrow));
      if (got.index() == 1) break;
      const auto [ec, n] = std::get<0>(got);
      if (ec) break;
      dec.feed({buf.data(), n});
      continue;
    }
    json reply;
    std::string reply_body;
    std::function<void()> after;
    if (r != proto::frame_decoder::result::frame || body != 0) {
      // A bad frame cannot be resynchronised, and requests carry no body:
      // answer and close rather than read what follows.
      reply = proto::error_reply(0, errc::bad_request,
                                 r == proto::frame_decoder::result::frame ? "ctl requests carry no body"
                                                                          : std::string(proto::describe(dec.error())));
      open = false;
    } else {
      reply = handle(req, reply_body, after);
    }
    if (!reply_body.empty()) reply["body"] = reply_body.size();
    const std::string out = proto::encode_frame(reply) + reply_body;
    timer.expires_after(ctl_idle_timeout);
    auto sent = co_await (asio::async_write(s, asio::buffer(out), use_nothrow) || timer.async_wait(use_nothrow));
    if (sent.index() == 1 || std::get<0>(std::get<0>(sent))) open = false;
    if (after) after();
  }
  std::error_code ec;
  s.close(ec);
  --open_;
}

json ctl_server::handle(const json& req, std::string& body, std::function<void()>& after) {
  const auto id = req.contains("id") && req["id"].is_number_unsigned() ? req["id"].get<std::uint64_t>() : 0;
  const std::string op = req.contains("op") && req["op"].is_string() ? req["op"].get<std::string>() : "";
  json reply = proto::reply(id);
  if (op == "sessions") {
    // The list can outgrow a header (64 KiB): it travels as the body.
    body = sessions_json(ctx_).dump(-1, ' ', false, json::error_handler_t::replace);
  } else if (op == "stats") {
    reply["stats"] = stats_json(collect_stats(ctx_));
  } else if (op == "kick") {
    std::size_t n = 0;
    std::string what;
    if (req.contains("session") && req["session"].is_number_unsigned()) {
      const auto sid = req["session"].get<std::uint64_t>();
      n = ctx_.registry.kick(sid) ? 1 : 0;
      what = "session " + std::to_string(sid);
    } else if (req.contains("user") && req["user"].is_string() && !req["user"].get<std::string>().empty()) {
      const auto user = req["user"].get<std::string>();
      n = ctx_.registry.kick_user(user);
      what = "user " + user;
    } else {
      return proto::error_reply(id, errc::bad_request, "kick needs \"session\" (an id) or \"user\" (a name)");
    }
    if (n == 0) return proto::error_reply(id, errc::not_found, "no live session of " + what);
    spdlog::warn("ctl: kicking {} session(s) of {}", n, what);
    ctx_.activity.record("ctl_kick", "", "ctl.sock", {{"target", what}, {"sessions", static_cast<std::uint64_t>(n)}});
    reply["kicked"] = n;
  } else if (op == "reload") {
    spdlog::info("ctl: reload");
    actions_.reload(reply);
  } else if (op == "drain") {
    reply["sessions"] = ctx_.registry.count();
    if (ctx_.registry.gate_closed()) {
      reply["draining"] = false;
      reply["message"] = "already draining";
    } else {
      reply["draining"] = true;
      // After the reply is written: the client hears the answer before the
      // server goes.
      after = [this] {
        spdlog::info("ctl: drain");
        actions_.drain();
      };
    }
  } else {
    return proto::error_reply(id, errc::bad_request,
                              "unknown ctl op \"" + op + "\"; use sessions, kick, stats, reload or drain");
  }
  return reply;
}

}  // namespace ferry::server
