// State shared by every session of one server: settings, accounts, login
// throttle, session registry and the server secret. Each member is
// thread-safe or immutable after start.
#pragma once
#include <filesystem>
#include <string>

#include "auth/login_throttle.hpp"
#include "auth/plain_password.hpp"
#include "session/account_cache.hpp"
#include "session/config.hpp"
#include "session/session_registry.hpp"
#include "session/user_state.hpp"
#include "transfer/rate_limiter.hpp"
#include "transfer/xferlog.hpp"
#include "vfs/path_locks.hpp"

namespace ferry::session {

struct server_context {
  explicit server_context(config c)
      : cfg(std::move(c)),
        accounts(cfg.root / "accounts.toml"),
        registry({cfg.max_sessions, cfg.max_sessions_per_ip}),
        global_rate(cfg.rate),
        xfer_log(cfg.root / "log" / "xferlog") {}

  std::filesystem::path home_of(const std::string& user) const { return cfg.root / "home" / user; }

  const config cfg;
  account_cache accounts;
  auth::login_throttle throttle;
  session_registry registry;
  user_table users;
  auth::login_cache login_cache;  ///< FTP PASS: recently verified passwords, keyed hashes only
  vfs::path_locks locks;
  transfer::rate_limiter global_rate;
  transfer::xferlog xfer_log;
  std::string secret;  ///< keys the fake SCRAM salts of unknown users
};

/// Reads ROOT/secret, creating it (32 random bytes, mode 0600) when missing.
/// Throws std::runtime_error when it cannot.
std::string load_or_create_secret(const std::filesystem::path& root);

}  // namespace ferry::session
