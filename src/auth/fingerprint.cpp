// SHA-256 certificate fingerprints, formatted like OpenSSL's x509 command
// (uppercase hex pairs joined by ':') behind a "SHA256:" tag.
#include "auth/fingerprint.hpp"

#include "auth/scram.hpp"

namespace ferry::auth {

std::string cert_fingerprint(std::string_view der) {
  static constexpr char hex[] = "0123456789ABCDEF";
  const std::string digest = sha256(der);
  std::string out = "SHA256:";
  out.reserve(out.size() + digest.size() * 3);
  for (std::size_t i = 0; i < digest.size(); ++i) {
    const auto b = static_cast<unsigned char>(digest[i]);
    if (i != 0) out += ':';
    out += hex[b >> 4];
    out += hex[b & 0x0f];
  }
  return out;
}

}  // namespace ferry::auth
