// A blocking TCP connection to ferryd that speaks frames (docs/protocol.md), in
// clear or, after start_tls(), over TLS (OpenSSL on the same socket). The
// client is a single-threaded command-line program, so plain POSIX sockets
// are enough: requests go out in order (transfers batch and pipeline them)
// and replies are read in order; bulk bodies move between the socket (or
// OpenSSL, read ahead in large gulps) and the caller's buffer with no copy of
// our own. All socket and TLS calls of the client live here. I/O errors come
// back as fatal failures.
// SIGPIPE: plain sends never raise it (MSG_NOSIGNAL); OpenSSL writes with
// write(2), so a program using TLS must ignore SIGPIPE (ferry does).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "client/result.hpp"

namespace ferry::proto {
class frame_decoder;
}

struct ssl_st;

namespace ferry::client {

/// How start_tls() checks the server's certificate.
struct tls_settings {
  /// The host as the user named it: sent as SNI when it is a name; with `ca`,
  /// the certificate must be issued for it (DNS name or IP address).
  std::string host;
  /// nullopt: no chain check (the caller pins the certificate); "system": the
  /// system's trust store; else a PEM file of trusted CA certificates.
  std::optional<std::string> ca;
};

/// How start_tls() ended when it did not fail.
enum class tls_start {
  established,  ///< TLS is up (and, with a CA, the chain and name verified)
  not_offered,  ///< the server closed or answered in clear: it has no TLS; the connection is closed
};

class connection {
 public:
  /// Resolves `host` (name, IPv4 or IPv6 literal), connects to the first
  /// address that answers within `timeout_ms`, and sets TCP_NODELAY. Failure
  /// text: "cannot connect to HOST:PORT: REASON".
  static result<connection> open(const std::string& host, std::uint16_t port,
                                 int timeout_ms = 15000);

  /// Runs a TLS client handshake (TLS 1.2 or newer) on the open socket,
  /// giving up after `timeout_ms`. Failure texts: "certificate verify
  /// failed: REASON" (OpenSSL's words, with a CA), "cannot load CA
  /// certificates from FILE: REASON", "TLS handshake failed: REASON", "TLS
  /// handshake timed out". On failure or not_offered the connection is closed.
  result<tls_start> start_tls(const tls_settings& settings, int timeout_ms = 15000);

  bool is_tls() const noexcept { return ssl_ != nullptr; }
  /// The DER bytes of the server's certificate (empty without TLS).
  std::string peer_certificate() const;
  /// RFC 9266 tls-exporter channel binding (32 bytes); nullopt without TLS,
  /// or on TLS 1.2 without the extended master secret (where it is unsafe).
  std::optional<std::string> channel_binding() const;
  /// "TLSv1.3" and the like; empty without TLS.
  std::string tls_version() const;

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

  /// Closes the connection (idempotent); over TLS, says close_notify first
  /// unless the connection already failed.
  void close() noexcept;

  bool is_open() const noexcept { return fd_ >= 0; }
  /// The socket, for poll() beside other descriptors (exec's stdin).
  int fd() const noexcept { return fd_; }
  /// Bytes already received (decoded or inside TLS) that poll() on fd()
  /// would not report.
  bool pending() const noexcept;

 private:
  result<> fill();  // one read into the decoder
  /// Reads into `buf`: at least one byte, or all `len` when `wait_all`
  /// (fewer only when the connection ends after some bytes arrived).
  result<std::size_t> read_some(char* buf, std::size_t len, bool wait_all);
  /// Closes without a TLS goodbye, after an I/O or protocol failure.
  failure fail_closed(failure f) noexcept;

  int fd_ = -1;
  ssl_st* ssl_ = nullptr;
  std::unique_ptr<proto::frame_decoder> decoder_;
};

}  // namespace ferry::client
