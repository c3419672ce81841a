// State shared by every session of one server: settings, accounts, login
// throttle, session registry and the server secret. Each member is
// thread-safe or immutable after start. Accounts, quota ledgers (in `users`)
// and path locks are interfaces: the embedded defaults (a TOML file,
// in-process tables) are made here, and a shared store can take their place
// without touching the sessions.
#pragma once
#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "auth/login_throttle.hpp"
#include "auth/plain_password.hpp"
#include "session/activity_log.hpp"
#include "session/account_cache.hpp"
#include "session/config.hpp"
#include "session/fs_workers.hpp"
#include "session/send_method.hpp"
#include "session/server_stats.hpp"
#include "session/session_registry.hpp"
#include "session/tls_context.hpp"
#include "session/user_state.hpp"
#include "transfer/rate_limiter.hpp"
#include "transfer/xferlog.hpp"
#include "vfs/path_locks.hpp"

namespace ferry::session {

/// The settings a reload (SIGHUP, `ferryd ctl reload`) changes while sessions
/// run: read at each use from any loop, so atomics. The rate and the ban
/// policy live in their own thread-safe objects (global_rate, throttle).
struct live_settings {
  explicit live_settings(const config& c) { set(c); }
  void set(const config& c) noexcept {
    idle_timeout_s = c.idle_timeout.count();
    login_timeout_s = c.login_timeout.count();
    drain_timeout_s = c.drain_timeout.count();
    max_auth_attempts = c.max_auth_attempts;
    ban_after = c.ban_after;
    ban_seconds = c.ban_seconds;
  }
  std::chrono::seconds idle_timeout() const noexcept { return std::chrono::seconds(idle_timeout_s.load()); }
  std::chrono::seconds login_timeout() const noexcept { return std::chrono::seconds(login_timeout_s.load()); }
  std::chrono::seconds drain_timeout() const noexcept { return std::chrono::seconds(drain_timeout_s.load()); }
  std::atomic<std::int64_t> idle_timeout_s{0}, login_timeout_s{0}, drain_timeout_s{0};
  std::atomic<unsigned> max_auth_attempts{0}, ban_after{0}, ban_seconds{0};
};

struct server_context {
  explicit server_context(config c)
      : cfg(std::move(c)),
        live(cfg),
        accounts(std::make_unique<account_cache>(cfg.root / "accounts.toml")),
        registry({cfg.max_sessions, cfg.max_sessions_per_ip, cfg.max_pending_logins, cfg.max_pending_logins_per_ip}),
        global_rate(cfg.rate),
        xfer_log(cfg.root / "log" / "xferlog"),
        activity(cfg.root / "log" / "ferryd.log", cfg.log_format == "json" ? log_format::json : log_format::text),
        tls(cfg.root / cfg.tls.cert, cfg.root / cfg.tls.key) {
    throttle.set_policy({cfg.ban_after, std::chrono::seconds(cfg.ban_seconds)});
    apply_log_level(cfg);
  }

  /// Opens ROOT/log's files again by name (SIGHUP, after logrotate).
  void reopen_logs() {
    xfer_log.reopen();
    activity.reopen();
  }

  std::filesystem::path home_of(const std::string& user) const { return cfg.root / "home" / user; }

  /// As started (with the descriptor budget applied). Settings a reload may
  /// change are read from `live` (and global_rate, throttle) instead.
  const config cfg;
  live_settings live;
  /// Applies the live settings of `c` (see config.hpp's diff_settings).
  void apply_live(const config& c) {
    live.set(c);
    global_rate.set_rate(c.rate);
    throttle.set_policy({c.ban_after, std::chrono::seconds(c.ban_seconds)});
    apply_log_level(c);
  }
  static void apply_log_level(const config& c) { spdlog::set_level(spdlog::level::from_str(c.log_level)); }
  std::unique_ptr<account_source> accounts;
  auth::login_throttle throttle;
  session_registry registry;
  user_table users;
  auth::login_cache login_cache;  ///< FTP PASS: recently verified passwords, keyed hashes only
  std::unique_ptr<vfs::path_locks> locks = std::make_unique<vfs::local_path_locks>();
  transfer::rate_limiter global_rate;
  transfer::xferlog xfer_log;
  activity_log activity;  ///< ROOT/log/ferryd.log: logins, sessions, name changes
  std::string secret;  ///< keys the fake SCRAM salts of unknown users
  tls_provider tls;    ///< the certificate in use; off when the root has none
  std::atomic<unsigned> open_uploads{0};  ///< held by upload slots (upload_slots.hpp)
  unsigned open_uploads_cap = 0;          ///< set at start from the descriptor budget
  fs_workers fs{cfg.fs_workers};          ///< where blocking filesystem calls run
  std::atomic<unsigned> commands{0};      ///< remote commands running (exec.max_running)
  server_stats stats;                     ///< ctl stats and /metrics (server_stats.hpp)
  send_paths paths;                       ///< how downloads leave (send_method.hpp)
};

/// Reads ROOT/secret, creating it (32 random bytes, mode 0600) when missing.
/// Throws std::runtime_error when it cannot.
std::string load_or_create_secret(const std::filesystem::path& root);

}  // namespace ferry::session
