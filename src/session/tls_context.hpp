// The server's TLS configuration: one OpenSSL context per loaded certificate,
// and the holder that swaps in a renewed certificate on reload. Sessions keep
// the context they started with (a shared_ptr), so a reload never disturbs a
// running handshake or an FTP data connection resuming its control
// connection's session.
#pragma once
#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

struct ssl_ctx_st;
struct ssl_st;

namespace ferry::session {

/// Ties FTP data connections to their control connection: every TLS session
/// ticket issued on a connection carries its token, and a data connection
/// accepts only a resumed session whose ticket carries its control's token.
using reuse_token = std::array<unsigned char, 16>;

class tls_context {
 public:
  /// TLS 1.2 and 1.3 only, AEAD ciphers (AES-128-GCM first: the fastest
  /// with AES-NI), stateless session tickets, no renegotiation.
  /// nullptr with `error` set when the files do not load or do not match.
  static std::shared_ptr<tls_context> load(const std::filesystem::path& cert,
                                           const std::filesystem::path& key, std::string& error);
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  /// A new server-side connection object over `fd`, tagged with `token`.
  /// nullptr when OpenSSL is out of memory.
  ssl_st* new_connection(int fd, const reuse_token& token) const;
  /// The token in the ticket `ssl` resumed, compared with `expected`;
  /// false for a full (not resumed) handshake.
  static bool resumed_with(ssl_st* ssl, const reuse_token& expected);
  /// A fresh random token.
  static reuse_token make_token();

  /// "SHA256:AB:CD:..." of the leaf certificate (for logs and users).
  const std::string& fingerprint() const noexcept { return fingerprint_; }
  /// The leaf's notAfter as OpenSSL prints it ("Mar  4 10:00:00 2029 GMT"),
  /// and whole days until then (negative once expired).
  const std::string& expires() const noexcept { return expires_; }
  int days_left() const noexcept { return days_left_; }

 private:
  explicit tls_context(ssl_ctx_st* ctx) : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
  std::string fingerprint_;
  std::string expires_;
  int days_left_ = 0;
};

/// The current context; reload() replaces it when the files load.
class tls_provider {
 public:
  tls_provider(std::filesystem::path cert, std::filesystem::path key)
      : cert_(std::move(cert)), key_(std::move(key)) {}
  /// Loads the pair (TLS is then on). When neither file exists at the first
  /// load, TLS stays off. False with `error` on a half pair or a bad file;
  /// the loaded pair, if any, then stays in use.
  bool reload(std::string& error);
  /// nullptr when TLS is off.
  std::shared_ptr<const tls_context> current() const;
  bool enabled() const { return current() != nullptr; }

 private:
  const std::filesystem::path cert_, key_;
  mutable std::mutex mu_;
  std::shared_ptr<const tls_context> current_;
};

}  // namespace ferry::session
