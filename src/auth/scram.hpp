// SCRAM-SHA-256 primitives (RFC 5802 / RFC 7677) and the stored verifier in
// PostgreSQL's format: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>
// (salt and keys base64); the names of the -PLUS variant's tls-exporter
// channel binding (RFC 9266). All byte strings here are raw bytes in std::string.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::auth {

inline constexpr int default_iterations = 4096;
inline constexpr int min_iterations = 1024;      ///< client refuses fewer (downgrade guard)
inline constexpr int max_iterations = 10'000'000;
inline constexpr std::size_t salt_bytes = 16;

inline constexpr std::string_view scram_mechanism = "SCRAM-SHA-256";
inline constexpr std::string_view scram_plus_mechanism = "SCRAM-SHA-256-PLUS";
/// RFC 9266: the channel-binding type, and how to get its data from TLS
/// (SSL_export_keying_material with this label, no context, 32 bytes).
inline constexpr std::string_view tls_exporter_cb_name = "tls-exporter";
inline constexpr std::string_view tls_exporter_label = "EXPORTER-Channel-Binding";
inline constexpr std::size_t tls_exporter_bytes = 32;

struct scram_verifier {
  int iterations = default_iterations;
  std::string salt;        ///< raw
  std::string stored_key;  ///< raw, 32 bytes
  std::string server_key;  ///< raw, 32 bytes
};

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string salted_password(std::string_view password, std::string_view salt, int iterations);
/// Cryptographically random bytes (OpenSSL RAND_bytes); throws on RNG failure.
std::string random_bytes(std::size_t n);
/// Random printable nonce (base64 alphabet without ','), `n` characters.
std::string random_nonce(std::size_t n = 24);

/// Builds a verifier; a random salt is drawn when `salt` is empty.
scram_verifier make_verifier(std::string_view password, int iterations = default_iterations,
                             std::string salt = {});
std::string format_verifier(const scram_verifier& v);
/// nullopt unless the text is exactly the PostgreSQL format with 32-byte keys
/// and iterations in [1, max_iterations].
std::optional<scram_verifier> parse_verifier(std::string_view text);

/// RFC 5802 saslname escaping: ',' -> "=2C", '=' -> "=3D" and back.
std::string escape_saslname(std::string_view name);
std::optional<std::string> unescape_saslname(std::string_view name);

}  // namespace ferry::auth
