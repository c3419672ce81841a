// SCRAM-SHA-256 primitives over OpenSSL 3 (SHA-256, HMAC, PBKDF2, RAND) and the
// PostgreSQL verifier text format. Crypto failures are exhaustion, not input
// errors, so they throw; parsing untrusted text returns nullopt instead.
#include "auth/scram.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <charconv>
#include <climits>
#include <stdexcept>

#include "auth/base64.hpp"

namespace ferry::auth {
namespace {

constexpr std::string_view verifier_prefix = "SCRAM-SHA-256$";
constexpr std::size_t key_bytes = 32;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

int checked_int(std::size_t n) {
  if (n > static_cast<std::size_t>(INT_MAX)) throw std::length_error("scram: input too long");
  return static_cast<int>(n);
}

// Decimal iteration count: digits only, no sign, no leading zero.
std::optional<int> parse_iterations(std::string_view s) {
  if (s.empty() || s.size() > 9 || s[0] == '0') return std::nullopt;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  if (v < 1 || v > max_iterations) return std::nullopt;
  return v;
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string out(key_bytes, '\0');
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                 EVP_sha256(), nullptr) != 1 ||
      len != key_bytes) {
    throw std::runtime_error("scram: SHA-256 failed");
  }
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(key_bytes, '\0');
  unsigned int len = 0;
  static constexpr char empty_key[1] = {0};  // an empty view may carry a null data()
  auto* md = reinterpret_cast<unsigned char*>(out.data());
  if (HMAC(EVP_sha256(), key.empty() ? empty_key : key.data(), checked_int(key.size()),
           bytes(data), data.size(), md, &len) == nullptr ||
      len != key_bytes) {
    throw std::runtime_error("scram: HMAC-SHA-256 failed");
  }
  return out;
}

std::string salted_password(std::string_view password, std::string_view salt, int iterations) {
  if (iterations < 1) throw std::invalid_argument("scram: iterations must be >= 1");
  std::string out(key_bytes, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), checked_int(password.size()), bytes(salt),
                        checked_int(salt.size()), iterations, EVP_sha256(),
                        static_cast<int>(key_bytes),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("scram: PBKDF2 failed");
  }
  return out;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), checked_int(n)) != 1) {
    throw std::runtime_error("scram: RAND_bytes failed");
  }
  return out;
}

std::string random_nonce(std::size_t n) {
  static constexpr std::string_view chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out = random_bytes(n);
  // 64 symbols: the low six bits of a uniform byte are uniform.
  for (char& c : out) c = chars[static_cast<unsigned char>(c) & 0x3f];
  return out;
}

scram_verifier make_verifier(std::string_view password, int iterations, std::string salt) {
  scram_verifier v;
  v.iterations = iterations;
  v.salt = salt.empty() ? random_bytes(salt_bytes) : std::move(salt);
  const std::string salted = salted_password(password, v.salt, iterations);
  v.stored_key = sha256(hmac_sha256(salted, "Client Key"));
  v.server_key = hmac_sha256(salted, "Server Key");
  return v;
}

std::string format_verifier(const scram_verifier& v) {
  std::string out(verifier_prefix);
  out += std::to_string(v.iterations);
  out += ':';
  out += base64_encode(v.salt);
  out += '$';
  out += base64_encode(v.stored_key);
  out += ':';
  out += base64_encode(v.server_key);
  return out;
}

std::optional<scram_verifier> parse_verifier(std::string_view text) {
  // SECURITY: exact shape or nothing; a verifier that half-parses must not log anyone in.
  if (!text.starts_with(verifier_prefix)) return std::nullopt;
  text.remove_prefix(verifier_prefix.size());
  const auto colon1 = text.find(':');
  const auto dollar = text.find('$');
  if (colon1 == std::string_view::npos || dollar == std::string_view::npos || dollar < colon1) {
    return std::nullopt;
  }
  const auto colon2 = text.find(':', dollar);
  if (colon2 == std::string_view::npos) return std::nullopt;

  const auto iter = parse_iterations(text.substr(0, colon1));
  auto salt = base64_decode(text.substr(colon1 + 1, dollar - colon1 - 1));
  auto stored = base64_decode(text.substr(dollar + 1, colon2 - dollar - 1));
  auto server = base64_decode(text.substr(colon2 + 1));  // trailing bytes fail here
  if (!iter || !salt || !stored || !server) return std::nullopt;
  if (salt->empty() || stored->size() != key_bytes || server->size() != key_bytes) {
    return std::nullopt;
  }
  return scram_verifier{*iter, std::move(*salt), std::move(*stored), std::move(*server)};
}

std::string escape_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> unescape_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    // SECURITY: a raw ',' cannot appear in a saslname; '=' only as =2C or =3D.
    if (c == ',') return std::nullopt;
    if (c != '=') {
      out += c;
      continue;
    }
    const std::string_view esc = name.substr(i + 1, 2);
    if (esc == "2C") {
      out += ',';
    } else if (esc == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  return out;
}

}  // namespace ferry::auth
