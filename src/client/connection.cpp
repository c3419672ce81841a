// POSIX socket and OpenSSL code of the client: resolve, connect with a
// deadline, the TLS handshake and what the session needs from it, and frames
// through the shared codec over either.
#include "client/connection.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "auth/scram.hpp"
#include "client/interrupt.hpp"
#include "client/target.hpp"
#include "proto/frame.hpp"

namespace ferry::client {
namespace {

/// OpenSSL's buffer for incoming records. With read_ahead on, one read(2)
/// fills it, so a bulk body costs one syscall per four 16 KiB records. Larger
/// is slower (measured on a 1 GiB get: 256 KiB cost 20% more CPU than 64 KiB,
/// as records no longer decrypt from cache).
constexpr int tls_read_buffer_bytes = 64 * 1024;

failure io_failure(int err) {
  if (err == ECONNRESET || err == EPIPE || err == 0) return broken("connection closed by server");
  return broken(std::string("connection error: ") + std::strerror(err));
}

/// The reason of the oldest queued OpenSSL error ("" when none), and clears the queue.
std::string openssl_reason() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return {};
  if (ERR_SYSTEM_ERROR(e)) return std::strerror(ERR_GET_REASON(e));
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
}

/// True when the OpenSSL error `e` is the SSL library's `reason`.
bool is_ssl_reason(unsigned long e, int reason) {
  return ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == reason;
}

/// Connects `fd` to `addr`, waiting at most `timeout_ms`; returns 0 or an errno.
int connect_with_timeout(int fd, const sockaddr* addr, socklen_t len, int timeout_ms) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return errno;
  int err = 0;
  if (::connect(fd, addr, len) < 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n;
      do {
        n = ::poll(&p, 1, timeout_ms);
      } while (n < 0 && errno == EINTR);
      if (n == 0) return ETIMEDOUT;
      if (n < 0) return errno;
      socklen_t sz = sizeof err;
      if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sz) < 0) return errno;
    }
  }
  if (err == 0 && ::fcntl(fd, F_SETFL, flags) < 0) err = errno;
  return err;
}

/// Bounds blocking reads and writes on `fd` (0 = no bound).
void set_io_timeout(int fd, int timeout_ms) {
  timeval tv{};
  tv.tv_sec = timeout_ms / 1000;
  tv.tv_usec = static_cast<suseconds_t>((timeout_ms % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

struct ctx_free {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
struct ssl_free {
  void operator()(SSL* s) const noexcept { SSL_free(s); }
};

/// A client context: TLS 1.2+, auto-retry, read-ahead into a large buffer,
/// and the trust anchors of `ca` (none: the caller pins the certificate).
result<std::unique_ptr<SSL_CTX, ctx_free>> make_context(const std::optional<std::string>& ca) {
  std::unique_ptr<SSL_CTX, ctx_free> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return broken("TLS setup failed: " + openssl_reason());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_AUTO_RETRY);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_default_read_buffer_len(ctx.get(), tls_read_buffer_bytes);
  if (!ca) {
    // SECURITY: no chain check here only because the caller compares the
    // certificate with its pin before anything is sent.
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
  }
  const bool loaded = *ca == "system" ? SSL_CTX_set_default_verify_paths(ctx.get()) == 1
                                      : SSL_CTX_load_verify_file(ctx.get(), ca->c_str()) == 1;
  if (!loaded) {
    const std::string why = openssl_reason();
    return broken("cannot load CA certificates from " +
                  (*ca == "system" ? std::string("the system store") : *ca) +
                  (why.empty() ? std::string() : ": " + why));
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

/// Names the peer in the handshake (SNI for a name) and, with a CA, the name
/// or address its certificate must carry.
bool set_peer_name(SSL* ssl, const tls_settings& s) {
  const bool ip = is_ip_literal(s.host);
  // SSL_set_tlsext_host_name() without its old-style cast.
  if (!ip && SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                      const_cast<char*>(s.host.c_str())) != 1)
    return false;
  if (!s.ca) return true;
  // SECURITY: the chain alone proves nothing; the certificate must name this host.
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), s.host.c_str()) == 1;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, s.host.c_str()) == 1;
}

}  // namespace

result<connection> connection::open(const std::string& host, std::uint16_t port,
                                    int timeout_ms) {
  const std::string where = host_port(host, port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    const std::string why = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    return broken("cannot connect to " + where + ": " + why);
  }
  int last_err = ECONNREFUSED;
  int fd = -1;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_err = errno;
      continue;
    }
    last_err = connect_with_timeout(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
    if (last_err == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(list);
  if (fd < 0) return broken("cannot connect to " + where + ": " + std::strerror(last_err));
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return connection(fd);
}

connection::connection(int fd) : fd_(fd), decoder_(std::make_unique<proto::frame_decoder>()) {}

connection::~connection() { close(); }

connection::connection(connection&& other) noexcept
    : fd_(other.fd_), ssl_(other.ssl_), decoder_(std::move(other.decoder_)) {
  other.fd_ = -1;
  other.ssl_ = nullptr;
}

connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    ssl_ = other.ssl_;
    decoder_ = std::move(other.decoder_);
    other.fd_ = -1;
    other.ssl_ = nullptr;
  }
  return *this;
}

void connection::close() noexcept {
  if (ssl_ != nullptr) {
    // One close_notify, without waiting for the server's (the socket closes next).
    if (fd_ >= 0) (void)SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
    ERR_clear_error();
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

failure connection::fail_closed(failure f) noexcept {
  if (ssl_ != nullptr) SSL_set_quiet_shutdown(ssl_, 1);  // no goodbye on a broken stream
  close();
  // Ctrl-C shut the socket down: say so rather than blame the server.
  if (command_interrupted()) f.text = "interrupted";
  return f;
}

result<tls_start> connection::start_tls(const tls_settings& settings, int timeout_ms) {
  if (fd_ < 0 || ssl_ != nullptr) return broken("TLS handshake failed: connection not ready");
  ERR_clear_error();
  auto ctx = make_context(settings.ca);
  if (!ctx) return fail_closed(ctx.error());
  std::unique_ptr<SSL, ssl_free> ssl(SSL_new(ctx->get()));
  if (!ssl || !set_peer_name(ssl.get(), settings) || SSL_set_fd(ssl.get(), fd_) != 1)
    return fail_closed(broken("TLS setup failed: " + openssl_reason()));

  set_io_timeout(fd_, timeout_ms);
  errno = 0;
  const int rc = SSL_connect(ssl.get());
  const int saved_errno = errno;
  set_io_timeout(fd_, 0);
  if (rc == 1) {
    ssl_ = ssl.release();
    return tls_start::established;
  }

  const int err = SSL_get_error(ssl.get(), rc);
  const unsigned long queued = ERR_peek_error();
  const std::string reason = openssl_reason();
  const long verify = SSL_get_verify_result(ssl.get());
  const bool nothing_read = BIO_number_read(SSL_get_rbio(ssl.get())) == 0;
  ssl.reset();
  close();
  if (settings.ca && verify != X509_V_OK)
    return broken(std::string("certificate verify failed: ") +
                  X509_verify_cert_error_string(verify));
  // A ferryd without TLS closes on a ClientHello (the peer may see a reset,
  // as the hello is left unread); an older one answers with a frame, which
  // is no TLS record at all.
  const bool eof = (err == SSL_ERROR_SYSCALL && queued == 0 &&
                    (saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE)) ||
                   is_ssl_reason(queued, SSL_R_UNEXPECTED_EOF_WHILE_READING);
  if ((eof && nothing_read) || is_ssl_reason(queued, SSL_R_WRONG_VERSION_NUMBER))
    return tls_start::not_offered;
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ||
      saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)
    return broken("TLS handshake timed out");
  if (eof) return broken("TLS handshake failed: connection closed by server");
  if (!reason.empty()) return broken("TLS handshake failed: " + reason);
  return broken(std::string("TLS handshake failed: ") + std::strerror(saved_errno));
}

std::string connection::peer_certificate() const {
  if (ssl_ == nullptr) return {};
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  const int len = i2d_X509(cert, nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_X509(cert, &out) != len) return {};
  return der;
}

std::optional<std::string> connection::channel_binding() const {
  if (ssl_ == nullptr) return std::nullopt;
  // SECURITY: RFC 9266 §3: on TLS 1.2 the exporter binds the channel only
  // with the extended master secret.
  if (SSL_version(ssl_) < TLS1_3_VERSION && SSL_get_extms_support(ssl_) != 1) return std::nullopt;
  std::string out(auth::tls_exporter_bytes, '\0');
  if (SSL_export_keying_material(ssl_, reinterpret_cast<unsigned char*>(out.data()), out.size(),
                                 auth::tls_exporter_label.data(), auth::tls_exporter_label.size(),
                                 nullptr, 0, 0) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

std::string connection::tls_version() const {
  return ssl_ != nullptr ? SSL_get_version(ssl_) : std::string();
}

result<> connection::send(const nlohmann::json& header, std::string_view body) {
  if (body.empty()) return send_bytes(proto::encode_frame(header));
  std::string bytes = proto::encode_frame(header);
  bytes.append(body);
  return send_bytes(bytes);
}

result<> connection::send_bytes(std::string_view rest) {
  if (fd_ < 0) return broken(command_interrupted() ? "interrupted" : "connection closed by server");
  // A stale error would make SSL_get_error() lie; successful calls add none.
  if (ssl_ != nullptr) ERR_clear_error();
  while (!rest.empty()) {
    if (ssl_ != nullptr) {
      std::size_t n = 0;
      errno = 0;
      if (SSL_write_ex(ssl_, rest.data(), rest.size(), &n) == 1) {
        rest.remove_prefix(n);
        continue;
      }
      const int err = SSL_get_error(ssl_, 0);
      if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) continue;  // EINTR
      if (err == SSL_ERROR_SYSCALL) return fail_closed(io_failure(errno));
      return fail_closed(broken("TLS error: " + openssl_reason()));
    }
    const ssize_t n = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_closed(io_failure(errno));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

result<std::size_t> connection::read_some(char* buf, std::size_t len, bool wait_all) {
  if (fd_ < 0) return broken(command_interrupted() ? "interrupted" : "connection closed by server");
  if (ssl_ != nullptr) ERR_clear_error();  // as in send_bytes()
  std::size_t got = 0;
  while (got < len) {
    if (ssl_ != nullptr) {
      // One SSL_read gives at most one record; keep going while OpenSSL
      // holds more (read-ahead), and until `len` when asked to wait for it.
      if (got > 0 && !wait_all && SSL_has_pending(ssl_) == 0) break;
      std::size_t n = 0;
      errno = 0;
      if (SSL_read_ex(ssl_, buf + got, len - got, &n) == 1) {
        got += n;
        continue;
      }
      const int err = SSL_get_error(ssl_, 0);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;  // EINTR
      if (got > 0) break;  // hand over what came; the next call reports the end
      if (err == SSL_ERROR_ZERO_RETURN) return fail_closed(io_failure(0));
      if (err == SSL_ERROR_SYSCALL) return fail_closed(io_failure(errno));
      if (is_ssl_reason(ERR_peek_error(), SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
        ERR_clear_error();
        return fail_closed(io_failure(0));
      }
      return fail_closed(broken("TLS error: " + openssl_reason()));
    }
    if (got > 0 && !wait_all) break;
    // MSG_WAITALL: one wake-up per chunk instead of one per segment burst.
    const ssize_t n = ::recv(fd_, buf + got, len - got, wait_all ? MSG_WAITALL : 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (got > 0) break;
    return fail_closed(io_failure(n == 0 ? 0 : errno));
  }
  return got;
}

bool connection::pending() const noexcept {
  return decoder_->buffered() > 0 || (ssl_ != nullptr && SSL_pending(ssl_) > 0);
}

result<> connection::fill() {
  std::array<char, 65536> buf;
  const auto n = read_some(buf.data(), buf.size(), false);
  if (!n) return n.error();
  decoder_->feed(std::string_view(buf.data(), *n));
  return {};
}

result<> connection::receive(nlohmann::json& header, std::uint64_t& body) {
  for (;;) {
    switch (decoder_->next(header, body)) {
      case proto::frame_decoder::result::frame:
        return {};
      case proto::frame_decoder::result::in_body:
        // An unread body of an earlier frame: drop what is buffered, then read more.
        if (decoder_->take_body(SIZE_MAX).empty()) {
          if (auto r = fill(); !r) return r;
        }
        break;
      case proto::frame_decoder::result::need_more:
        if (auto r = fill(); !r) return r;
        break;
      case proto::frame_decoder::result::error:
        return fail_closed(broken(std::string("protocol error: ") +
                                  std::string(proto::describe(decoder_->error()))));
    }
  }
}

result<> connection::read_body(std::string& out, std::size_t max) {
  if (decoder_->body_remaining() == 0 || max == 0) return {};
  if (decoder_->buffered() == 0) {
    if (auto r = fill(); !r) return r;
  }
  out.append(decoder_->take_body(max));
  return {};
}

result<std::string_view> connection::body_chunk(char* scratch, std::size_t max) {
  const std::uint64_t remaining = decoder_->body_remaining();
  if (remaining == 0 || max == 0) return std::string_view();
  if (decoder_->buffered() > 0) return decoder_->take_body(max);
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(max, remaining));
  const auto got = read_some(scratch, want, true);
  if (!got) return got.error();
  decoder_->body_read_externally(*got);
  return std::string_view(scratch, *got);
}

std::uint64_t connection::body_remaining() const noexcept { return decoder_->body_remaining(); }

}  // namespace ferry::client
