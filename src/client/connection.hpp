// A blocking TCP connection to ferryd that speaks frames (DESIGN §2). The
// client is a single-threaded command-line program, so plain POSIX sockets
// are enough: requests go out in order (transfers batch and pipeline them)
// and replies are read in order; bulk bodies move between the socket and the
// caller's buffer without an extra copy. All socket calls of the
// client live here. I/O errors come back as fatal failures; SIGPIPE is never
// raised (MSG_NOSIGNAL).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "client/result.hpp"

namespace ferry::proto {
class frame_decoder;
}

namespace ferry::client {

class connection {
 public:
  /// Resolves `host` (name, IPv4 or IPv6 literal), connects to the first
  /// address that answers within `timeout_ms`, and sets TCP_NODELAY. Failure
  /// text: "cannot connect to HOST:PORT: REASON".
  static result<connection> open(const std::string& host, std::uint16_t port,
                                 int timeout_ms = 15000);

  /// Adopts an already connected stream socket (tests use a socketpair).
  explicit connection(int fd);
  ~connection();
  connection(connection&& other) noexcept;
  connection& operator=(connection&& other) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Sends one frame: `header` (a JSON object) followed by `body` raw bytes.
  /// If `body` is not empty the caller must have set header["body"].
  result<> send(const nlohmann::json& header, std::string_view body = {});

  /// Blocks for the next frame header. Body bytes of an earlier frame that
  /// were never read are skipped first. `body` receives the announced body
  /// size; read it with read_body() or it is skipped by the next receive().
  result<> receive(nlohmann::json& header, std::uint64_t& body);

  /// Reads up to `max` bytes of the current frame's body (at least one while
  /// any remain) and appends them to `out`.
  result<> read_body(std::string& out, std::size_t max);

  /// Sends raw bytes: frames encoded by the caller (several batched into one
  /// call), or the body of a frame whose header went out before.
  result<> send_bytes(std::string_view bytes);

  /// The next piece of the current frame's body, at most `max` bytes: a view
  /// of bytes already buffered (valid until the next call on this
  /// connection), else bytes received straight into `scratch` (no extra
  /// copy), waiting until min(max, body remaining) have arrived. Empty once
  /// the body is consumed. A short read means the connection ended.
  result<std::string_view> body_chunk(char* scratch, std::size_t max);

  /// Body bytes of the current frame not yet read.
  std::uint64_t body_remaining() const noexcept;

  /// Closes the socket (idempotent).
  void close() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }

 private:
  result<> fill();  // one recv() into the decoder

  int fd_ = -1;
  std::unique_ptr<proto::frame_decoder> decoder_;
};

}  // namespace ferry::client
