// One listening socket and its accept loop: admits each connection through the
// session registry (limits, shutdown gate), then runs the protocol's session
// on the next loop of the pool. The only place that knows both protocols.
#pragma once
#include <memory>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

namespace ferry::session {
struct server_context;
struct endpoint_spec;
}  // namespace ferry::session

namespace ferry::server {

class io_pool;

/// ftps: implicit FTPS (TLS from the first byte).
enum class protocol { native, ftp, ftps };

class listener {
 public:
  /// Binds `where` (SO_REUSEADDR) on the pool's first loop; throws
  /// std::system_error on failure.
  listener(io_pool& pool, session::server_context& ctx, protocol proto,
           const session::endpoint_spec& where);
  asio::ip::tcp::endpoint local_endpoint() const;
  /// Starts accepting (on the first loop).
  void start();
  /// Stops accepting; sessions already admitted go on. Call on the first loop.
  void close();

 private:
  asio::awaitable<void> accept_loop();
  /// Answers a connection over a limit with the protocol's "too many
  /// sessions" (from the errc table) and closes it.
  /// Answers a connection that is not admitted (over a limit, or `banned`) and closes it.
  asio::awaitable<void> refuse(asio::ip::tcp::socket sock, bool banned = false);

  io_pool& pool_;
  session::server_context& ctx_;
  const protocol proto_;
  asio::ip::tcp::acceptor acceptor_;
};

}  // namespace ferry::server
