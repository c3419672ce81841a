#include "session/byte_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>

#include <asio/write.hpp>

#include "auth/scram.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::session {
namespace {

/// The error an OpenSSL failure `e` (from SSL_get_error) stands for.
std::error_code map_error(int e) {
  if (e == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (e == SSL_ERROR_SYSCALL && errno != 0) return {errno, std::system_category()};
  const unsigned long why = ERR_peek_last_error();
  // SECURITY: a TLS stream that ends without close_notify may have been cut
  // by a third party: not a clean EOF.
  if (e == SSL_ERROR_SYSCALL || ERR_GET_REASON(why) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return std::make_error_code(std::errc::connection_aborted);
  return std::make_error_code(std::errc::protocol_error);
}

std::string reason_text() {
  const unsigned long e = ERR_peek_last_error();
  if (e == 0) return "connection closed during the TLS handshake";
  const char* r = ERR_reason_error_string(e);
  return r != nullptr ? r : "TLS handshake failed";
}

}  // namespace

byte_stream::byte_stream(asio::ip::tcp::socket s) : socket_(std::move(s)) {}

byte_stream::~byte_stream() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

byte_stream::byte_stream(byte_stream&& other) noexcept
    : socket_(std::move(other.socket_)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      established_(std::exchange(other.established_, false)),
      write_failed_(std::exchange(other.write_failed_, false)) {}

byte_stream& byte_stream::operator=(byte_stream&& other) noexcept {
  if (this != &other) {
    if (ssl_ != nullptr) SSL_free(ssl_);
    socket_ = std::move(other.socket_);
    ssl_ = std::exchange(other.ssl_, nullptr);
    established_ = std::exchange(other.established_, false);
    write_failed_ = std::exchange(other.write_failed_, false);
  }
  return *this;
}

asio::awaitable<bool> byte_stream::handshake(const tls_context& ctx, const reuse_token& token,
                                             std::string& error, bool tickets) {
  std::error_code ec;
  socket_.native_non_blocking(true, ec);
  if (ec) {
    error = ec.message();
    co_return false;
  }
  ssl_ = ctx.new_connection(socket_.native_handle(), token);
  if (ssl_ == nullptr) {
    error = "out of memory";
    co_return false;
  }
  if (!tickets) SSL_set_num_tickets(ssl_, 0);
  for (;;) {
    ERR_clear_error();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      established_ = true;
      co_return true;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      auto [wec] = co_await socket_.async_wait(
          e == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write,
          use_nothrow);
      if (!wec) continue;
      error = wec.message();
      co_return false;
    }
    error = reason_text();
    ERR_clear_error();
    co_return false;
  }
}

asio::awaitable<byte_stream::result> byte_stream::read_some(asio::mutable_buffer b) {
  if (ssl_ == nullptr) co_return co_await socket_.async_read_some(b, use_nothrow);
  if (!established_) co_return result{asio::error::not_connected, 0};
  auto* p = static_cast<char*>(b.data());
  for (;;) {
    // Take every record that is ready, up to the buffer's size: bulk reads
    // then cost one wake-up per buffer, not one per 16 KiB record.
    std::size_t total = 0;
    int e = SSL_ERROR_NONE;
    while (total < b.size()) {
      ERR_clear_error();
      std::size_t n = 0;
      const int r = SSL_read_ex(ssl_, p + total, b.size() - total, &n);
      if (r == 1) {
        total += n;
        continue;
      }
      e = SSL_get_error(ssl_, r);
      break;
    }
    // Data first; a sticky error or EOF comes back on the next call.
    if (total > 0) co_return result{std::error_code(), total};
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      const auto ec = map_error(e);
      ERR_clear_error();
      co_return result{ec, 0};
    }
    auto [ec] = co_await socket_.async_wait(
        e == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write,
        use_nothrow);
    if (ec) co_return result{ec, 0};
  }
}

asio::awaitable<byte_stream::result> byte_stream::write(asio::const_buffer b) {
  // A stream that failed a write is dead: writing again to a reset peer can
  // wait for ever (its readiness event is spent), so later writes fail at once.
  if (write_failed_) co_return result{asio::error::broken_pipe, 0};
  auto r = co_await write_all(b);
  if (std::get<0>(r)) write_failed_ = true;
  co_return r;
}

asio::awaitable<byte_stream::result> byte_stream::write_all(asio::const_buffer b) {
  if (ssl_ == nullptr) co_return co_await asio::async_write(socket_, b, use_nothrow);
  // SSL_write on a half-done handshake would try to finish it (and wait on
  // the peer for ever): a cut handshake is a dead stream. (Not
  // SSL_is_init_finished(): post-handshake messages such as KeyUpdate put
  // an established connection back "in init" for a moment.)
  if (!established_) co_return result{asio::error::not_connected, 0};
  const auto* p = static_cast<const char*>(b.data());
  std::size_t done = 0;
  while (done < b.size()) {
    ERR_clear_error();
    std::size_t n = 0;
    const int r = SSL_write_ex(ssl_, p + done, b.size() - done, &n);
    if (r == 1) {
      done += n;
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      const auto ec = map_error(e);
      ERR_clear_error();
      co_return result{ec, done};
    }
    auto [ec] = co_await socket_.async_wait(
        e == SSL_ERROR_WANT_READ ? asio::socket_base::wait_read : asio::socket_base::wait_write,
        use_nothrow);
    if (ec) co_return result{ec, done};
  }
  co_return result{std::error_code(), done};
}

void byte_stream::send_close_notify() noexcept {
  if (ssl_ == nullptr || !established_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::size_t byte_stream::buffered() const noexcept {
  return ssl_ == nullptr ? 0 : static_cast<std::size_t>(SSL_pending(ssl_));
}

std::optional<std::string> byte_stream::channel_binding() const {
  if (ssl_ == nullptr) return std::nullopt;
  // RFC 9266 §2: TLS 1.2 needs the extended master secret for the exporter
  // to be unique to the connection.
  if (SSL_version(ssl_) < TLS1_3_VERSION && SSL_get_extms_support(ssl_) != 1) return std::nullopt;
  std::string out(auth::tls_exporter_bytes, '\0');
  if (SSL_export_keying_material(ssl_, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 auth::tls_exporter_label.data(), auth::tls_exporter_label.size(), nullptr, 0,
                                 0) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

bool byte_stream::resumed_with(const reuse_token& token) const {
  return ssl_ != nullptr && tls_context::resumed_with(ssl_, token);
}

std::string byte_stream::describe() const {
  if (ssl_ == nullptr) return {};
  std::string s = SSL_get_version(ssl_);
  s += ' ';
  s += SSL_get_cipher_name(ssl_);
  if (SSL_session_reused(ssl_) == 1) s += " resumed";
  return s;
}

}  // namespace ferry::session
