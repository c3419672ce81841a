// The server's own TLS identity for `ferryd init`: a self-signed ECDSA P-256
// certificate naming this machine (host name, loopback, interface addresses),
// written as ROOT/tls/cert.pem beside its key ROOT/tls/key.pem. Users trust it
// by its SHA-256 fingerprint (trust on first use), which init prints.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::server {

/// notBefore is this far in the past (clock skew between server and client).
inline constexpr long cert_backdate_seconds = 3600;
/// notAfter is this far in the future (the CA/Browser Forum's old maximum).
inline constexpr int cert_validity_days = 825;

/// What the certificate's subjectAltName lists.
struct cert_names {
  std::vector<std::string> dns;  ///< host names; dns.front() is also the subject CN
  std::vector<std::string> ips;  ///< IPv4 or IPv6 literals, e.g. "127.0.0.1", "::1"
};

/// This machine's names: gethostname(), its FQDN when /etc/hosts gives one
/// (no resolver, so no network delay), "localhost"; 127.0.0.1, ::1 and every
/// interface address except IPv6 link-local (fe80::/10). No duplicates.
cert_names local_cert_names();

/// The fully qualified name of `host` according to the text of a hosts file
/// (/etc/hosts format): the first name starting with "host." on a line that
/// names `host` or such a name; "" when there is none. Pure.
std::string fqdn_from_hosts(std::string_view hosts_text, std::string_view host);

/// Creates `dir` (0700) if missing and writes dir/key.pem (ECDSA P-256, PEM
/// PKCS#8, unencrypted; created 0600 with O_EXCL, never readable by others)
/// and dir/cert.pem (0644): X.509 v3, random 128-bit serial, CN =
/// names.dns.front(), valid from now − cert_backdate_seconds for
/// cert_validity_days, SHA-256, SAN = `names`, CA:FALSE, digitalSignature,
/// serverAuth. When both files exist they are kept as they are (returns "");
/// when only one exists nothing is written and an error is returned.
/// Returns "" on success, else a one-line error.
std::string create_self_signed(const std::filesystem::path& dir, const cert_names& names);

/// The SHA-256 fingerprint of the DER of the first certificate in `cert_pem`,
/// as `openssl x509 -fingerprint -sha256` prints it ("AB:CD:..."); "" with
/// `error` set when the file cannot be read or parsed.
std::string cert_fingerprint_sha256(const std::filesystem::path& cert_pem, std::string& error);

}  // namespace ferry::server
