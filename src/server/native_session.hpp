// One native-protocol connection: a coroutine that reads frames, answers them
// in order, and a watchdog that enforces the login and idle timeouts. Lives on
// one io_context for its whole life, so its members need no locks.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json_fwd.hpp>

#include "proto/errc.hpp"
#include "proto/frame.hpp"
#include "server/nav_ops.hpp"
#include "server/user_login.hpp"
#include "server/stream_io.hpp"

namespace ferry::auth {
class scram_server;
}
namespace ferry::vfs {
class jail;
}
namespace ferry::transfer {
class digest;
class upload;
}

namespace ferry::server {

struct server_context;
struct user_state;

class native_session {
 public:
  native_session(asio::ip::tcp::socket socket, server_context& ctx, std::uint64_t id,
                 std::string peer);
  ~native_session();

  /// Serves the connection until it ends; never throws.
  asio::awaitable<void> run();

 private:
  enum class phase { greeting, login, ready };

  asio::awaitable<void> serve();
  asio::awaitable<void> watchdog();
  /// Handles one frame; returns false when the connection must close.
  asio::awaitable<bool> dispatch(const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_hello(std::uint64_t id, const nlohmann::json& req);
  asio::awaitable<bool> on_auth(std::uint64_t id, const nlohmann::json& req);
  asio::awaitable<bool> finish_login(std::uint64_t id, const std::string& user,
                                     const std::string& server_final);
  /// Queues a reply; replies go out in one write when the session next waits
  /// for input (so pipelined requests get batched replies), or at 256 KiB.
  asio::awaitable<bool> send(const nlohmann::json& reply);
  asio::awaitable<bool> send_error(std::uint64_t id, errc e, const std::string& message);
  /// Writes everything queued.
  asio::awaitable<bool> flush();

  // Transfers (native_transfer.cpp).
  struct open_upload;
  asio::awaitable<bool> on_get(std::uint64_t id, const nlohmann::json& req);
  asio::awaitable<bool> on_put(std::uint64_t id, const nlohmann::json& req, std::uint64_t body);
  asio::awaitable<bool> on_data(std::uint64_t id, std::uint64_t body);
  asio::awaitable<bool> on_commit(std::uint64_t id, const nlohmann::json& req);
  asio::awaitable<bool> on_hash(std::uint64_t id, const nlohmann::json& req);
  /// Streams the current frame's body into `up` (nullptr or a failed write:
  /// the rest is drained). Sets `failure` on the first write error. False
  /// when the connection is gone.
  asio::awaitable<bool> receive_body(transfer::upload* up, errc& failure);
  /// The user's and the server's token buckets.
  pacer pacing() const;
  void log_transfer(const std::string& path, bool incoming, std::uint64_t bytes,
                    std::chrono::steady_clock::time_point started, bool complete);
  /// Reads and drops the rest of the current frame's body.
  asio::awaitable<bool> discard_body();
  void touch();

  asio::ip::tcp::socket socket_;
  server_context& ctx_;
  const std::uint64_t id_;
  const std::string peer_;      ///< "addr:port" for logs
  const std::string peer_addr_; ///< address only, for throttling
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  proto::frame_decoder decoder_;
  std::vector<char> rbuf_;
  phase phase_ = phase::greeting;
  unsigned failed_auths_ = 0;
  std::unique_ptr<auth::scram_server> scram_;
  user_login login_;  ///< jail, user state and name once logged in
  nav_state nav_;
  std::map<std::uint64_t, std::unique_ptr<open_upload>> uploads_;  ///< by put id
  std::string out_;  ///< queued reply frames
  bool closing_ = false;
};

}  // namespace ferry::server
