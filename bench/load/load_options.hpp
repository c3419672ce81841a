// ferry-load's command line: what to run (a mix of ops, logins only, or idle
// sessions), against which server, bounded by time and/or op count. Pure:
// parse_load_options() only reads its arguments (the password comes from the
// environment variable the caller looks up).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "load/op_mix.hpp"

namespace ferry::load {

enum class load_mode {
  mix,          ///< log in, then draw ops from the mix until a bound is reached
  logins_only,  ///< connect + SCRAM (cached client key) + bye, again and again
  idle,         ///< hold N logged-in sessions doing nothing; report server RSS
};

enum class tls_choice {
  automatic,  ///< TLS when the server offers it (first connection tries), else plain
  on,         ///< TLS always (fail when the server has none)
  off,        ///< plain frames only
};

struct load_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9021;
  std::string user;
  std::uint32_t users = 1;              ///< >1: sessions log in as USER1..USERn, round robin
  std::string password_env = "FERRY_PASSWORD";  ///< where main() finds the password
  load_mode mode = load_mode::mix;
  std::uint32_t sessions = 1;           ///< concurrent sessions (idle: sessions held)
  std::uint32_t threads = 1;            ///< event-loop threads the sessions are split over (1..64)
  double duration_s = 0;                ///< 0: no time bound
  std::uint64_t ops = 0;                ///< all sessions together; 0: no bound
  std::uint64_t ops_per_session = 0;    ///< 0: no bound
  op_mix mix;                           ///< default: get=50,put=20,ls=20,rm=10
  std::uint64_t file_size = 64 * 1024;  ///< bytes of each put
  std::string get_path;                 ///< get/stat this file (default: the session's seed file)
  std::string ls_path;                  ///< ls this directory (default: the session's directory)
  std::string work_dir = "/load";       ///< sessions work in WORK/sN
  int server_pid = 0;                   ///< 0: no RSS figures
  tls_choice tls = tls_choice::automatic;
  std::uint32_t source_ips = 0;         ///< >0: bind to 127.0.1.1 .. 127.0.1.N, round robin
  std::uint32_t login_concurrency = 128;///< logins in flight at once (server's pending cap: 256)
  double hold_s = 0;                    ///< idle: seconds to hold the sessions
  double settle_s = 1.0;                ///< idle: wait before each RSS reading
  double think_ms = 0;                  ///< pause between a session's ops
  double timeout_s = 0;                 ///< hard stop; 0: bound + 60 s
  bool verify = false;                  ///< check each get's xxh128 trailer
  bool key_cache = true;                ///< reuse the SaltedPassword across logins
  bool quiet = false;                   ///< machine lines only
};

struct parse_result {
  std::optional<load_options> options;  ///< set on success
  std::string error;                    ///< one sentence when options is unset and !help
  bool help = false;                    ///< --help was given
};

/// Parses argv[1..]: "--name value" or "--name=value". Checks ranges and that
/// a mix or logins-only run has a bound (--duration, --ops or
/// --ops-per-session; none given means --duration 10).
parse_result parse_load_options(const std::vector<std::string>& args);

/// The account session `index` logs in as: USER, or with --users N,
/// USER1..USERN round robin.
std::string session_user(const load_options& o, std::uint32_t index);

/// The event-loop threads a run uses: --threads, but at most one per session.
std::uint32_t thread_count(const load_options& o) noexcept;

/// The global indices of the sessions thread `t` (< thread_count) runs:
/// t, t + T, t + 2T, ... (T = thread_count), so the threads get the
/// accounts and source addresses alike and every index keeps its account.
std::vector<std::uint32_t> thread_sessions(const load_options& o, std::uint32_t t);

/// Thread `t`'s share of --login-concurrency: the shares add up to it, but
/// each is at least 1 (so a thread always makes progress).
std::uint32_t thread_login_cap(const load_options& o, std::uint32_t t) noexcept;

/// The --help text.
std::string load_usage();

}  // namespace ferry::load
