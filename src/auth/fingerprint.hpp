// Certificate fingerprints as people compare them: the SHA-256 of the DER
// bytes in the hex `openssl x509 -noout -fingerprint -sha256` prints. Pure
// (OpenSSL libcrypto only); used to pin and show a server's certificate.
#pragma once
#include <string>
#include <string_view>

namespace ferry::auth {

/// "SHA256:AB:CD:..." (uppercase hex pairs joined by ':', 32 bytes) of a
/// DER-encoded certificate; the same hex `openssl x509 -noout -fingerprint
/// -sha256` prints. Hashes the bytes as given (does not parse them); any
/// thread; throws only when the digest itself fails (exhaustion).
std::string cert_fingerprint(std::string_view der);

}  // namespace ferry::auth
