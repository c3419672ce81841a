// Trust on first use for server certificates, as ssh does for host keys:
// without --ca, a server is trusted when its certificate's fingerprint is the
// one pinned in known_hosts. The first time, the user is asked on the
// terminal and a "yes" pins it; a changed certificate is refused loudly.
#pragma once
#include <filesystem>
#include <iosfwd>
#include <string>

#include "client/result.hpp"

namespace ferry::client {

/// What verify_pin() did when it trusted the server.
enum class pin_trust {
  pinned,    ///< known_hosts already pinned this certificate
  accepted,  ///< the user said "yes" on the terminal (pinned now, if the file could be written)
};

/// Checks the certificate `fingerprint` ("SHA256:..") of the server `key`
/// ("HOST:PORT", see pin_key()) against `file`. Unknown: asks on /dev/tty
/// and appends the pin on "yes"; without a terminal, fails naming the
/// fingerprint. Changed: prints changed_pin_warning() on `err` and fails.
/// Failure texts (for "ferry: TEXT", all fatal): "host key verification
/// failed", "cannot verify HOST:PORT: ...".
result<pin_trust> verify_pin(const std::string& key, const std::string& fingerprint,
                             const std::filesystem::path& file, std::ostream& err);

/// The ssh-like warning for a changed certificate: the server, both
/// fingerprints, the known_hosts line and how to remove it. Several lines,
/// each ending in '\n'. Pure.
std::string changed_pin_warning(const std::string& key, const std::string& pinned,
                                const std::string& offered, const std::filesystem::path& file,
                                std::size_t line);

}  // namespace ferry::client
