// Checking a plaintext password (FTP PASS) against the stored SCRAM verifier,
// so FTP logins need no second password store. The verifier is a PBKDF2
// derivation: one check costs ~1.5 ms of CPU at 4096 iterations, so recently
// verified logins are remembered as a keyed hash (SFTPGo does the same):
// HMAC(random key, user, password, verifier) — never the password itself. The
// verifier is part of the key, so a password change makes old entries
// useless at once; entries also expire after `ttl`.
#pragma once
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "auth/scram.hpp"

namespace ferry::auth {

/// True when `password` derives `v`'s StoredKey and ServerKey. Constant-time
/// comparisons.
bool verify_plain_password(const scram_verifier& v, std::string_view password);

class login_cache {
 public:
  using clock = std::chrono::steady_clock;

  /// Keys the hashes with 32 random bytes drawn per process: the cache never
  /// leaves memory, so nothing else needs the key.
  explicit login_cache(std::chrono::seconds ttl = std::chrono::minutes(5),
                       std::size_t max_entries = 4096)
      : secret_(random_bytes(32)), ttl_(ttl), max_(max_entries) {}

  /// True when this exact (user, password, verifier) was verified within ttl.
  bool recently_verified(std::string_view user, std::string_view password,
                         std::string_view verifier_text, clock::time_point now);
  void remember(std::string_view user, std::string_view password, std::string_view verifier_text,
                clock::time_point now);

 private:
  std::string key(std::string_view user, std::string_view password, std::string_view verifier) const;

  const std::string secret_;
  const std::chrono::seconds ttl_;
  const std::size_t max_;
  std::mutex mu_;
  std::map<std::string, clock::time_point> seen_;  ///< keyed hash -> expiry
};

}  // namespace ferry::auth
