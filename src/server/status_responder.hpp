// The UDP status responder (docs/protocol.md, "UDP status"): answers status
// requests on the native port's address and port number with the server's
// version, uptime, session count and load flags. Silent to anything
// malformed, rate limited per source and in all (status_limiter.hpp), and
// its reply is never larger than the request, so it cannot amplify a flood.
//
// Thread affinity: one coroutine on the io_context given; start() and
// close() are called on the main thread before run / from that loop.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>

#include "server/status_limiter.hpp"

namespace ferry::session {
struct server_context;
}

namespace ferry::server {

class status_responder {
 public:
  /// Binds UDP on `where` (the native listener's bound endpoint); throws
  /// std::system_error when it cannot.
  status_responder(asio::io_context& io, session::server_context& ctx, const asio::ip::tcp::endpoint& where);
  /// The responder, or null (after a warning) when UDP cannot be bound there:
  /// the status ping is an extra, never a reason not to serve.
  static std::unique_ptr<status_responder> open(asio::io_context& io, session::server_context& ctx,
                                                const asio::ip::tcp::endpoint& where);
  /// Starts answering (one coroutine on the io_context).
  void start();
  /// Stops answering; the coroutine ends at its next wake-up.
  void close();

 private:
  asio::awaitable<void> serve();
  void handle(std::span<const std::uint8_t> datagram, const asio::ip::udp::endpoint& from);
  void answer(std::uint64_t nonce, const asio::ip::udp::endpoint& to);

  session::server_context& ctx_;
  asio::ip::udp::socket socket_;
  status_limiter limiter_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace ferry::server
