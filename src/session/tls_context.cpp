#include "session/tls_context.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <stdexcept>

#include "auth/fingerprint.hpp"

namespace ferry::session {
namespace {

// TLS 1.2: forward-secret AEAD suites only. TLS 1.3: AES-128-GCM first.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* tls13_suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
// Session resumption across ferryd's own connections only.
constexpr unsigned char session_context[] = "ferryd";

void free_token(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<reuse_token*>(ptr);
}

/// Where a connection's reuse token lives (SSL ex_data, freed with the SSL).
int token_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_token);
  return index;
}

/// Where the token of the ticket a connection resumed lives. Kept apart from
/// the session: OpenSSL issues the resumed connection a fresh ticket inside
/// the handshake, and on_ticket_issued() then stamps the session with this
/// connection's own token, which would make any resumed ticket look right.
int received_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_token);
  return index;
}

/// Every ticket carries the token of the connection it was issued on.
int on_ticket_issued(SSL* ssl, void*) {
  const auto* token = static_cast<const reuse_token*>(SSL_get_ex_data(ssl, token_index()));
  SSL_SESSION* s = SSL_get0_session(ssl);
  if (token == nullptr || s == nullptr) return 1;
  return SSL_SESSION_set1_ticket_appdata(s, token->data(), token->size());
}

SSL_TICKET_RETURN on_ticket_received(SSL* ssl, SSL_SESSION* session, const unsigned char*, size_t,
                                     SSL_TICKET_STATUS status, void*) {
  if (status == SSL_TICKET_SUCCESS || status == SSL_TICKET_SUCCESS_RENEW) {
    void* data = nullptr;
    std::size_t len = 0;
    if (SSL_SESSION_get0_ticket_appdata(session, &data, &len) == 1 && len == sizeof(reuse_token)) {
      auto* t = new reuse_token;
      std::memcpy(t->data(), data, len);
      delete static_cast<reuse_token*>(SSL_get_ex_data(ssl, received_index()));
      if (SSL_set_ex_data(ssl, received_index(), t) != 1) delete t;
    }
  }
  switch (status) {
    case SSL_TICKET_SUCCESS:
      return SSL_TICKET_RETURN_USE;
    case SSL_TICKET_SUCCESS_RENEW:
      return SSL_TICKET_RETURN_USE_RENEW;
    case SSL_TICKET_EMPTY:
    case SSL_TICKET_NO_DECRYPT:
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    default:
      return SSL_TICKET_RETURN_ABORT;
  }
}

std::string last_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

std::shared_ptr<tls_context> tls_context::load(const std::filesystem::path& cert,
                                               const std::filesystem::path& key, std::string& error) {
  ERR_clear_error();
  SSL_CTX* raw = SSL_CTX_new(TLS_server_method());
  if (raw == nullptr) {
    error = "TLS: " + last_error();
    return nullptr;
  }
  std::shared_ptr<tls_context> c(new tls_context(raw));
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                               SSL_OP_PRIORITIZE_CHACHA | SSL_OP_NO_COMPRESSION);
  // Partial writes let a non-blocking write hand over what fit; the buffer
  // moves between retries (a coroutine's buffer is stable, but retries may
  // resume with a different view of it).
  SSL_CTX_set_mode(raw, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // Fewer, larger reads from the socket: one recv can bring several records.
  SSL_CTX_set_read_ahead(raw, 1);
  SSL_CTX_set_default_read_buffer_len(raw, 64 * 1024);
  if (SSL_CTX_set_cipher_list(raw, tls12_ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(raw, tls13_suites) != 1) {
    error = "TLS: " + last_error();
    return nullptr;
  }
  SSL_CTX_set_session_id_context(raw, session_context, sizeof session_context - 1);
  // Stateless tickets only: no server-side cache to bound or share.
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_ticket_cb(raw, on_ticket_issued, on_ticket_received, nullptr);
  if (SSL_CTX_use_certificate_chain_file(raw, cert.c_str()) != 1) {
    error = "TLS certificate " + cert.string() + ": " + last_error();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(raw, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "TLS key " + key.string() + ": " + last_error();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(raw) != 1) {
    error = "TLS: " + key.string() + " does not match " + cert.string();
    return nullptr;
  }
  X509* leaf = SSL_CTX_get0_certificate(raw);
  unsigned char* der = nullptr;
  const int n = leaf != nullptr ? i2d_X509(leaf, &der) : -1;
  if (n > 0) {
    c->fingerprint_ = auth::cert_fingerprint(
        std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n)));
    OPENSSL_free(der);
  }
  if (leaf != nullptr) {
    const ASN1_TIME* end = X509_get0_notAfter(leaf);
    int days = 0, secs = 0;
    if (ASN1_TIME_diff(&days, &secs, nullptr, end) == 1) c->days_left_ = days;
    if (BIO* b = BIO_new(BIO_s_mem())) {
      if (ASN1_TIME_print(b, end) == 1) {
        char* p = nullptr;
        const long len = BIO_get_mem_data(b, &p);
        if (len > 0) c->expires_.assign(p, static_cast<std::size_t>(len));
      }
      BIO_free(b);
    }
  }
  return c;
}

tls_context::~tls_context() { SSL_CTX_free(ctx_); }

ssl_st* tls_context::new_connection(int fd, const reuse_token& token) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  auto* t = new reuse_token(token);
  if (SSL_set_ex_data(ssl, token_index(), t) != 1) {
    delete t;
    SSL_free(ssl);
    return nullptr;
  }
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

bool tls_context::resumed_with(ssl_st* ssl, const reuse_token& expected) {
  if (SSL_session_reused(ssl) != 1) return false;
  const auto* got = static_cast<const reuse_token*>(SSL_get_ex_data(ssl, received_index()));
  return got != nullptr && CRYPTO_memcmp(got->data(), expected.data(), expected.size()) == 0;
}

reuse_token tls_context::make_token() {
  reuse_token t{};
  if (RAND_bytes(t.data(), static_cast<int>(t.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return t;
}

bool tls_provider::reload(std::string& error) {
  std::error_code ec;
  const bool have_cert = std::filesystem::exists(cert_, ec);
  const bool have_key = std::filesystem::exists(key_, ec);
  if (!have_cert && !have_key) {
    // Off only from the start: a reload never silently drops TLS.
    if (!enabled()) return true;
    error = "TLS: " + cert_.string() + " and " + key_.string() + " are gone; keeping the loaded pair";
    return false;
  }
  if (!have_cert || !have_key) {
    error = "TLS: " + (have_cert ? key_ : cert_).string() + " is missing";
    return false;
  }
  auto next = tls_context::load(cert_, key_, error);
  if (!next) return false;
  std::lock_guard lock(mu_);
  current_ = std::move(next);
  return true;
}

std::shared_ptr<const tls_context> tls_provider::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace ferry::session
