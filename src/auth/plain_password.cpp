#include "auth/plain_password.hpp"

#include <openssl/crypto.h>

namespace ferry::auth {
namespace {

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// Length-prefixed so ("ab","c") and ("a","bc") never collide.
void put_field(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out += s;
}

}  // namespace

bool verify_plain_password(const scram_verifier& v, std::string_view password) {
  const std::string salted = salted_password(password, v.salt, v.iterations);
  const std::string stored = sha256(hmac_sha256(salted, "Client Key"));
  const std::string server = hmac_sha256(salted, "Server Key");
  // Both checked, with no early exit between them.
  const bool a = same(stored, v.stored_key);
  const bool b = same(server, v.server_key);
  return a && b;
}

std::string login_cache::key(std::string_view user, std::string_view password,
                             std::string_view verifier) const {
  std::string msg;
  put_field(msg, user);
  put_field(msg, password);
  put_field(msg, verifier);
  return hmac_sha256(secret_, msg);
}

bool login_cache::recently_verified(std::string_view user, std::string_view password,
                                    std::string_view verifier_text, clock::time_point now) {
  const auto k = key(user, password, verifier_text);
  std::lock_guard lock(mu_);
  auto it = seen_.find(k);
  if (it == seen_.end()) return false;
  if (it->second <= now) {
    seen_.erase(it);
    return false;
  }
  return true;
}

void login_cache::remember(std::string_view user, std::string_view password,
                           std::string_view verifier_text, clock::time_point now) {
  const auto k = key(user, password, verifier_text);
  std::lock_guard lock(mu_);
  if (seen_.size() >= max_) {
    for (auto it = seen_.begin(); it != seen_.end();) it = it->second <= now ? seen_.erase(it) : std::next(it);
    if (seen_.size() >= max_) seen_.clear();  // bounded memory beats a perfect cache
  }
  seen_[k] = now + ttl_;
}

}  // namespace ferry::auth
