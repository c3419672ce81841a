// Server settings: embedded defaults, overridden by ROOT/ferryd.toml (or
// --config), overridden by command-line flags.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::session {

struct endpoint_spec {
  std::string host = "127.0.0.1";
  std::uint16_t port = 9021;
};

/// Parses "HOST:PORT", "[V6]:PORT" or ":PORT". nullopt when malformed.
std::optional<endpoint_spec> parse_endpoint(const std::string& text);

/// The FTP front-end ([ftp] in ferryd.toml).
struct ftp_config {
  std::optional<endpoint_spec> listen;  ///< off unless set (or --ftp-listen)
  std::uint16_t pasv_min = 0;           ///< passive port range; 0 = any free port
  std::uint16_t pasv_max = 0;
  bool active = false;                  ///< PORT/EPRT (only ever to the client's own address)
  bool allow_plaintext = false;         ///< PASS on non-loopback listeners without TLS
  /// Implicit FTPS (TLS from the first byte); off unless set.
  std::optional<endpoint_spec> implicit_listen;
  /// USER/PASS only after AUTH TLS. Default: on for non-loopback listeners
  /// when TLS is available.
  std::optional<bool> require_tls;
  /// A protected data connection must resume the control connection's TLS
  /// session (vsftpd's require_ssl_reuse): a third party that races for a
  /// passive port cannot complete the handshake with the client's session.
  /// Off by default: Python's ftplib never resumes (curl and lftp do).
  bool require_tls_session_reuse = false;
  std::string encoding = "utf-8";       ///< file names on the control connection
  std::chrono::seconds data_timeout{30};  ///< waiting for a data connection
};

/// TLS ([tls] in ferryd.toml). Relative paths are under the root.
struct tls_config {
  std::filesystem::path cert = "tls/cert.pem";
  std::filesystem::path key = "tls/key.pem";
  /// Refuse plain sessions on the native port. Default: on for
  /// non-loopback listeners when TLS is available.
  std::optional<bool> required;
};

/// Remote commands ([exec] in ferryd.toml; exec/spawn.hpp). Accounts opt in
/// with `exec = true`.
struct exec_config {
  /// Run commands even where the kernel cannot confine them (no Landlock
  /// ABI 6): they could then read the server's files and signal it.
  bool allow_unconfined = false;
  std::chrono::seconds timeout{60};      ///< wall clock: SIGTERM, then SIGKILL to the group
  std::uint64_t max_output = 16ull << 20;  ///< stdout + stderr bytes sent; past it the group is killed
  std::uint64_t cpu_seconds = 60;        ///< RLIMIT_CPU
  std::uint64_t max_processes = 64;      ///< RLIMIT_NPROC (counts the service user's tasks, ferryd's too)
  std::uint64_t max_memory = 1ull << 30; ///< RLIMIT_AS, bytes
  unsigned max_running = 8;              ///< commands at once, whole server
  unsigned max_per_user = 2;             ///< commands at once, per user
  bool allow_network = false;            ///< TCP/UDP sockets (never Unix ones)
};

/// Event loops and filesystem worker threads a server may be given: past
/// these, threads only multiply stacks (no host has that many cores, and a
/// worker blocked on a dead mount needs no more company). Larger values are
/// refused at start, never clamped.
inline constexpr unsigned max_event_loops = 1024;
inline constexpr unsigned max_fs_workers = 1024;

struct config {
  std::filesystem::path root;
  endpoint_spec listen;
  unsigned threads = 0;                         ///< 0 = one per core
  /// Threads that make the filesystem calls which can block (fs_workers.hpp);
  /// 0 = the default (16).
  unsigned fs_workers = 0;
  std::chrono::seconds idle_timeout{300};
  std::chrono::seconds login_timeout{30};
  /// SIGTERM/SIGINT/`ctl drain`: how long sessions busy with a transfer get
  /// to finish before the server stops anyway (idle sessions close at once).
  /// `shutdown_timeout` is its old name, still accepted.
  std::chrono::seconds drain_timeout{30};
  unsigned max_sessions = 1024;                 ///< whole server
  unsigned max_sessions_per_ip = 128;
  /// Connections not logged in yet (their own pool: see session_limits).
  unsigned max_pending_logins = 256;
  unsigned max_pending_logins_per_ip = 32;
  unsigned max_auth_attempts = 3;               ///< per connection
  /// Failed logins from one address (any users, 15 quiet minutes forget)
  /// that ban it for ban_seconds; 0 = never ban.
  unsigned ban_after = 30;
  unsigned ban_seconds = 900;
  /// Uploads held open at once (each holds its part file's descriptor).
  unsigned max_uploads_per_session = 16;
  unsigned max_uploads_per_user = 64;
  unsigned max_open_uploads = 0;                ///< whole server; 0 = a third of the descriptor limit
  std::uint64_t rate = 0;                       ///< whole-server bytes/s, 0 = unlimited
  /// Names a home may hold (files, directories, links, part files) unless
  /// the account sets its own; 0 = unlimited. Each costs an inode of the
  /// shared filesystem, which has a fixed number of them.
  std::uint64_t max_files = 1'000'000;
  /// How downloads leave over plain TCP: "auto" (the fastest of the three,
  /// measured when the server starts: send_probe.hpp), or "copy" (pread +
  /// send), "sendfile" or "splice" (file -> pipe -> socket).
  std::string download_method = "auto";
  /// Prometheus text metrics over HTTP (GET /metrics); off unless set.
  std::optional<endpoint_spec> metrics_listen;
  /// Answer UDP status requests on the native port (docs/protocol.md).
  bool udp_status = true;
  /// ROOT/log/ferryd.log, the activity log: "text" (key="value" lines) or
  /// "json" (one object per line).
  std::string log_format = "text";
  /// The server's own log (stderr/journal), not the activity log: "info"
  /// writes a few lines per session; "warn" only what needs a look.
  std::string log_level = "info";
  /// The account ferryd serves as when started as root ("" = the owner of ROOT).
  std::string user;
  ftp_config ftp;
  tls_config tls;
  exec_config exec;

  /// The top-level settings the file set (the rest are defaults): a limit
  /// the host cannot give is refused when asked for, trimmed when a default.
  std::vector<std::string> set_in_file;
  bool set_explicitly(std::string_view key) const {
    return std::find(set_in_file.begin(), set_in_file.end(), key) != set_in_file.end();
  }

  /// Loads `file` over the defaults. A missing file is fine unless `required`.
  /// Returns false and sets `error` on a bad file.
  bool load(const std::filesystem::path& file, bool required, std::string& error);

  /// Every setting as (name, value text), names as in ferryd.toml ("ftp.listen"),
  /// so two configs can be compared setting by setting (reload).
  std::vector<std::pair<std::string, std::string>> describe() const;
};

/// One setting that differs between two configs.
struct setting_change {
  std::string name;
  std::string before;
  std::string after;
  bool live = false;  ///< a reload applies it; else it needs a restart
};
/// The settings that differ from `before` to `after`, in describe() order.
std::vector<setting_change> diff_settings(const config& before, const config& after);

/// Fits the settings that cost file descriptors (max_sessions,
/// max_pending_logins, max_open_uploads) to what `nofile` descriptors allow
/// (descriptor_budget). A value the file set and the limit cannot give is
/// refused: false, and `error` names the setting, its value and the most
/// the limit allows. A default (or 0, "as many as fit") is trimmed to fit,
/// each trim described in `notes`. Sets `open_uploads_cap` to the server's
/// cap of open uploads.
bool fit_descriptors(config& cfg, unsigned long nofile, unsigned& open_uploads_cap, std::string& error,
                     std::vector<std::string>& notes);

/// The text `ferryd init` writes: every setting, commented, at its default.
std::string default_config_text();

}  // namespace ferry::session
