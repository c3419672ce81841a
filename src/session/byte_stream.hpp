// A connection's byte stream: plain TCP, or TLS over it once a handshake has
// run. Both protocols read and write through this one type, so TLS is added
// once, under the session layer. OpenSSL works directly on the non-blocking
// socket (no memory BIO pair, no extra copy of every record); when it needs
// the socket to be readable or writable, the coroutine waits on the socket.
//
// One read and one write may be in flight at once (from coroutines on the
// session's own loop), as with a socket.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>

#include "session/tls_context.hpp"

namespace ferry::session {

class byte_stream {
 public:
  using result = std::tuple<std::error_code, std::size_t>;

  explicit byte_stream(asio::ip::tcp::socket s);
  ~byte_stream();
  byte_stream(byte_stream&& other) noexcept;
  byte_stream& operator=(byte_stream&& other) noexcept;
  byte_stream(const byte_stream&) = delete;
  byte_stream& operator=(const byte_stream&) = delete;

  asio::ip::tcp::socket& socket() noexcept { return socket_; }
  bool secure() const noexcept { return ssl_ != nullptr; }

  /// Runs a server-side TLS handshake (the client's ClientHello is next on
  /// the socket). Connections are tagged with `token` (see reuse_token).
  /// `tickets`: issue session tickets (not on FTP data connections: clients
  /// that only write there never read them, and closing with the ticket
  /// unread makes their kernel reset the connection, losing the upload's end
  /// — curl issue 6149). False with a short reason in `error` when it fails.
  asio::awaitable<bool> handshake(const tls_context& ctx, const reuse_token& token,
                                  std::string& error, bool tickets = true);

  /// At least one byte, as much as is ready (up to b.size()). EOF is
  /// asio::error::eof: TCP's FIN on a plain stream, close_notify on TLS; a
  /// TLS stream cut without close_notify reports std::errc::connection_aborted.
  asio::awaitable<result> read_some(asio::mutable_buffer b);
  /// All of `b`, or an error with the count handed over. After one failed
  /// write, every later one fails at once (the stream is dead).
  asio::awaitable<result> write(asio::const_buffer b);

  /// Sends TLS close_notify if it fits in the socket now; never waits.
  void send_close_notify() noexcept;
  /// TLS decrypted bytes waiting to be read (0 on a plain stream).
  std::size_t buffered() const noexcept;
  /// The connection's tls-exporter channel binding (RFC 9266), or nullopt
  /// on a plain stream and on TLS 1.2 without the extended master secret.
  std::optional<std::string> channel_binding() const;
  /// True when the handshake resumed a session whose ticket carries `token`.
  /// (After a failed handshake the stream stays secure() and unusable: close it.)
  bool resumed_with(const reuse_token& token) const;
  /// "TLSv1.3 TLS_AES_128_GCM_SHA256" for logs; "" on a plain stream.
  std::string describe() const;

 private:
  asio::awaitable<result> write_all(asio::const_buffer b);

  asio::ip::tcp::socket socket_;
  ssl_st* ssl_ = nullptr;
  bool established_ = false;   ///< the TLS handshake completed
  bool write_failed_ = false;  ///< a write failed: the stream is dead
};

}  // namespace ferry::session
