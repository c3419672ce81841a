// Where the server looks accounts up: the interface the sessions use, so a
// shared store (PostgreSQL, for several ferryd nodes on one filesystem) can
// replace the embedded default, the TOML file (account_cache.hpp).
// Implementations are thread-safe: every session on every loop calls in.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "auth/account_store.hpp"

namespace ferry::session {

class account_source {
 public:
  virtual ~account_source() = default;
  /// Loads the accounts now (start-up, SIGHUP); false + `error` when the
  /// store is unreadable or invalid (the last good copy stays in use).
  virtual bool reload(std::string& error) = 0;
  /// The account as the store has it now; nullopt for an unknown user.
  virtual std::optional<auth::account> find(std::string_view user) = 0;
};

}  // namespace ferry::session
