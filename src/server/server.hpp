// The ferryd server, the top floor: binds the native and FTP listeners, the
// admin socket and the metrics responder, spreads sessions over the
// io_context pool, and handles signals — SIGHUP (and `ctl reload`) reloads
// accounts, certificate and ferryd.toml; SIGINT/SIGTERM (and `ctl drain`)
// drain: stop accepting, ask every session to finish (idle ones close at
// once, transfers run to their end), wait up to drain_timeout, then stop. A
// second signal stops at once.
// Construct, bind_ctl(), bind(), bind_ftp()..., then run() on the main thread.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <asio/ip/tcp.hpp>

#include "session/config.hpp"

namespace ferry::session {
struct server_context;
}

namespace ferry::server {

class io_pool;
class listener;
class ctl_server;
class metrics_server;
class status_responder;

class server {
 public:
  /// Throws std::runtime_error when the root is unusable.
  explicit server(session::config cfg);
  ~server();

  /// Binds the native listener; throws std::system_error on failure.
  asio::ip::tcp::endpoint bind();
  /// Binds the FTP listener when configured; nullopt when FTP is off.
  std::optional<asio::ip::tcp::endpoint> bind_ftp();
  /// Binds the implicit FTPS listener when configured.
  std::optional<asio::ip::tcp::endpoint> bind_ftps();
  /// Creates ROOT/ctl.sock (ctl_server.hpp): given to uid/gid when `chown`
  /// (before root is dropped); root and `allowed_uid` may connect. Throws
  /// std::runtime_error when another ferryd serves the root.
  void bind_ctl(bool chown, unsigned uid, unsigned gid, unsigned allowed_uid);
  /// Binds the metrics responder when metrics_listen is set.
  std::optional<asio::ip::tcp::endpoint> bind_metrics();
  /// How reload() re-reads the settings (ferryd.toml with the command line's
  /// overrides on top); without it reload() leaves the settings alone.
  using config_loader = std::function<bool(session::config&, std::string&)>;
  void set_config_loader(config_loader load) { load_config_ = std::move(load); }
  /// Serves until a stop signal and the drain after it; returns the exit status.
  int run();

  /// SIGHUP and `ctl reload`: re-reads the accounts, the TLS certificate and
  /// the settings; applies the settings that can change live and logs the
  /// others as needing a restart. On the first loop.
  void reload();
  /// What the last reload() did, one line each (for the ctl reply).
  const std::vector<std::string>& reload_report() const { return reload_report_; }
  /// SIGTERM and `ctl drain`: closes the listeners, asks every session to
  /// finish and stops the loops once they have, or at drain_timeout. Does
  /// nothing when already draining. On the first loop.
  void drain();
  bool draining() const { return drainer_.joinable(); }

 private:
  // Declared first, destroyed last: sessions still running when the pool is
  // destroyed close their registry entries on the way out.
  std::unique_ptr<session::server_context> ctx_;
  std::unique_ptr<io_pool> pool_;
  std::unique_ptr<listener> native_;
  std::unique_ptr<listener> ftp_;
  std::unique_ptr<listener> ftps_;
  std::unique_ptr<ctl_server> ctl_;
  std::unique_ptr<metrics_server> metrics_;
  std::thread drainer_;  ///< waits on the gate off the event loops
  /// Measures the download paths (download_method = "auto") beside the
  /// serving loops; until it is done, downloads copy.
  std::thread prober_;
  std::atomic<bool> stop_probe_{false};
  void choose_send_paths();
  void measure_send_paths();
  /// The settings as loaded (before the descriptor budget trimmed them), with
  /// the live ones reloaded: what a reload compares against.
  session::config loaded_;
  unsigned long nofile_ = 0;  ///< the descriptor limit after raising it (fit_descriptors)
  config_loader load_config_;
  std::vector<std::string> reload_report_;
  bool reload_failed_ = false;  ///< the last reload kept something old (a file did not load)
  std::unique_ptr<status_responder> status_;  ///< UDP status on the native port
};

}  // namespace ferry::server
