// The admin socket, ROOT/ctl.sock (`ferryd ctl`): an AF_UNIX stream socket,
// mode 0600, owned by the service user, speaking the native framing (u32
// length, JSON header, optional body; docs/protocol.md "Admin socket").
// Only uid 0 and the service user get in (SO_PEERCRED), and a ctl client can
// make the server hold little: a few connections, one frame each, an idle
// timeout. Runs on the pool's first loop, like the signal handlers, so
// `reload` and `drain` run where SIGHUP and SIGTERM run.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <nlohmann/json_fwd.hpp>

#include "session/server_stats.hpp"

namespace ferry::session {
struct server_context;
}

namespace ferry::server {

/// Bounds on what ctl clients can hold.
inline constexpr unsigned ctl_max_connections = 8;
inline constexpr auto ctl_idle_timeout = std::chrono::seconds(10);

/// The counters, with the live sessions counted by protocol. Any thread.
session::stats_snapshot collect_stats(const session::server_context& ctx);

class ctl_server {
 public:
  /// What the server does for `reload` (returns the reply's fields) and
  /// `drain` (false when already draining). Both run on the first loop.
  struct actions {
    std::function<void(nlohmann::json&)> reload;
    std::function<bool()> drain;
  };

  /// Claims `path`: a socket left by a crashed server (connect refused) is
  /// replaced; a live one (connect succeeds) is not, and this throws
  /// std::runtime_error saying another ferryd serves the root. Binds it mode
  /// 0600; when `chown` is set, gives it to uid/gid (ferryd drops root after
  /// this). `allowed_uid`: the service user (root is always allowed).
  ctl_server(asio::io_context& loop, session::server_context& ctx, std::filesystem::path path,
             unsigned allowed_uid, bool chown, unsigned uid, unsigned gid);
  ~ctl_server();
  ctl_server(const ctl_server&) = delete;
  ctl_server& operator=(const ctl_server&) = delete;

  /// Starts accepting. Call once, before the loop runs.
  void start(actions a);
  /// Stops accepting (connections already open finish their request) and
  /// removes the socket file. Call on the first loop.
  void close();

 private:
  using socket = asio::local::stream_protocol::socket;
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(socket s);
  /// The reply to one request; `after` is set to run once it is sent (drain).
  nlohmann::json handle(const nlohmann::json& req, std::string& body, std::function<void()>& after);

  session::server_context& ctx_;
  const std::filesystem::path path_;
  const unsigned allowed_uid_;
  asio::local::stream_protocol::acceptor acceptor_;
  actions actions_;
  unsigned open_ = 0;  ///< connections being served (first loop only)
  std::uint64_t inode_ = 0;  ///< ours to unlink only if still the same file
};

}  // namespace ferry::server
