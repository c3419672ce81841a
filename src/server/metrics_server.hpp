// A tiny HTTP/1.1 responder for Prometheus: GET /metrics answers the
// counters (metrics_text.hpp), anything else 404/405/400, and every
// connection is closed after one answer. Bounded like every listener here:
// a few connections at once, a small request head, a deadline for the whole
// request (a slow-loris client is cut, not waited for). Off unless
// `metrics_listen` is set; it serves what `ferryd ctl stats` shows, so bind
// it to loopback or a monitoring network only.
#pragma once
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

namespace ferry::session {
struct server_context;
struct endpoint_spec;
}  // namespace ferry::session

namespace ferry::server {

inline constexpr unsigned metrics_max_connections = 4;
inline constexpr std::size_t metrics_max_request = 4096;
inline constexpr auto metrics_request_timeout = std::chrono::seconds(5);

class metrics_server {
 public:
  /// Binds `where`; throws std::system_error on failure.
  metrics_server(asio::io_context& loop, session::server_context& ctx, const session::endpoint_spec& where);
  asio::ip::tcp::endpoint local_endpoint() const;
  void start();
  /// Stops accepting. Call on the loop.
  void close();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket s);

  session::server_context& ctx_;
  asio::ip::tcp::acceptor acceptor_;
  unsigned open_ = 0;  ///< connections being answered (the loop's thread only)
};

}  // namespace ferry::server
