// One native-protocol connection of ferry-load: a TCP socket, TLS on it when
// asked (asio::ssl), and the frame codec of src/proto on top. Coroutines on
// the load generator's one io_context thread; I/O errors come back as
// std::error_code values, a frame the codec refuses as std::errc::protocol_error.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <nlohmann/json.hpp>

#include "proto/frame.hpp"

namespace ferry::load {

class frame_stream {
 public:
  explicit frame_stream(asio::ip::tcp::socket socket);
  ~frame_stream();
  frame_stream(const frame_stream&) = delete;
  frame_stream& operator=(const frame_stream&) = delete;

  /// TLS client handshake on the connected socket (no certificate check: a
  /// loopback benchmark against a server it started itself).
  asio::awaitable<std::error_code> start_tls(asio::ssl::context& ctx);
  bool is_tls() const noexcept { return tls_ != nullptr; }
  /// RFC 9266 tls-exporter value (32 bytes) over TLS; nullopt in plain.
  std::optional<std::string> channel_binding() const;

  /// Sends `bytes` (encoded frames, bodies) in full.
  asio::awaitable<std::error_code> send(std::string_view bytes);
  /// Sends one frame: `header` then `body` (header["body"] set by the caller).
  asio::awaitable<std::error_code> send_frame(const nlohmann::json& header, std::string_view body = {});

  /// The next frame's header; body bytes of an earlier frame are skipped
  /// first. `body` receives the announced size: drain it with read_body().
  asio::awaitable<std::error_code> receive(nlohmann::json& header, std::uint64_t& body);
  /// Reads the current frame's body to its end, discarding it; `sink`, when
  /// given, sees every piece (a digest). Adds the byte count to `bytes`.
  asio::awaitable<std::error_code> read_body(std::uint64_t& bytes,
                                             void (*sink)(void*, const char*, std::size_t) = nullptr,
                                             void* sink_arg = nullptr);

  /// Closes the socket (idempotent), without a TLS goodbye.
  void close() noexcept;

 private:
  asio::awaitable<std::error_code> read_some(char* buf, std::size_t len, std::size_t& got);

  asio::ip::tcp::socket socket_;
  std::unique_ptr<asio::ssl::stream<asio::ip::tcp::socket&>> tls_;
  proto::frame_decoder decoder_;
  std::unique_ptr<char[]> scratch_;
};

}  // namespace ferry::load
