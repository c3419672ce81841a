// Server start-up, signals and the graceful drain.
#include "server/server.hpp"

#include <malloc.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "server/ctl_server.hpp"
#include "server/metrics_server.hpp"
#include "exec/landlock.hpp"
#include "server/io_pool.hpp"
#include "server/listener.hpp"
#include "server/status_responder.hpp"
#include "session/upload_slots.hpp"
#include "session/send_probe.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"
#include "transfer/digest.hpp"

namespace ferry::server {

namespace {

/// Gives freed heap back to the system once sessions have ended: glibc keeps
/// what its per-thread arenas freed for reuse, so a burst of clients would
/// otherwise leave the server at its peak size until the next burst. Checked
/// every 2 s (after any session closed); the trim runs on a worker, off the
/// loops.
asio::awaitable<void> trim_after_sessions(session::server_context& ctx) {
  asio::steady_timer t(co_await asio::this_coro::executor);
  auto closed = ctx.registry.closed_total();
  for (;;) {
    t.expires_after(std::chrono::seconds(2));
    if (auto [ec] = co_await t.async_wait(session::use_nothrow); ec) co_return;
    const auto now = ctx.registry.closed_total();
    if (now != closed) co_await ctx.fs.run([] { return ::malloc_trim(0); });
    closed = now;
  }
}

/// One line about the certificate in use, and a warning when it has expired
/// or soon will (clients that check it will then refuse the server), or when
/// its key file is readable by others.
void log_certificate(const session::tls_context& tls, const std::string& what,
                     const std::filesystem::path& key) {
  spdlog::info("{} (fingerprint {}, expires {})", what, tls.fingerprint(), tls.expires());
  if (tls.days_left() < 0)
    spdlog::warn("the TLS certificate has EXPIRED ({}): clients that verify it will refuse; renew it", tls.expires());
  else if (tls.days_left() < 14)
    spdlog::warn("the TLS certificate expires in {} day(s) ({}): renew it, then send SIGHUP", tls.days_left(), tls.expires());
  struct stat st {};
  if (::stat(key.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    spdlog::warn("the TLS key {} is readable by others (mode {:o}); chmod 600 it", key.string(), st.st_mode & 07777);
}

/// The kernel lists "tls" among its TCP upper-layer protocols (kTLS).
bool kernel_offers_tls() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_available_ulp");
  for (std::string ulp; in >> ulp;)
    if (ulp == "tls") return true;
  return false;
}

/// Whether accounts with exec = true can run commands here, and how confined.
void log_exec_support(const session::exec_config& c) {
  const int abi = exec::landlock_abi();
  if (abi >= exec::confined_abi) spdlog::info("exec: Landlock ABI {}: commands run confined", abi);
  else if (c.allow_unconfined)
    spdlog::warn("exec: Landlock ABI {} (< {}): commands run UNCONFINED (exec.allow_unconfined)", abi, exec::confined_abi);
  else spdlog::info("exec: Landlock ABI {} (< {}): remote commands are refused", abi, exec::confined_abi);
}

}  // namespace

server::server(session::config cfg) : loaded_(cfg) {
  // OpenSSL writes to sockets with write(2), not send(MSG_NOSIGNAL): a peer
  // that vanished must cost its session an EPIPE, not kill the server.
  std::signal(SIGPIPE, SIG_IGN);
  // Every session, open upload and listing holds a descriptor: take all the
  // system allows, then keep sessions and uploads to budgets below it, so
  // running out is a 429 for the greedy client, not a failure for everyone.
  const auto fds = session::raise_descriptor_limit();
  nofile_ = fds.now;
  unsigned uploads_cap = 0;
  std::string fit_error;
  std::vector<std::string> trims;
  // SECURITY: a limit asked for and not given would be a limit not enforced.
  if (!session::fit_descriptors(cfg, fds.now, uploads_cap, fit_error, trims)) throw std::runtime_error(fit_error);
  for (const auto& t : trims) spdlog::warn("{}", t);
  spdlog::info("descriptors: limit {}{}; up to {} sessions and {} open uploads", fds.now,
               fds.before != fds.now ? fmt::format(" (raised from {})", fds.before) : std::string(), cfg.max_sessions,
               uploads_cap);
  ctx_ = std::make_unique<session::server_context>(cfg);
  ctx_->open_uploads_cap = uploads_cap;
  std::string error;
  if (!ctx_->accounts->reload(error)) throw std::runtime_error(error);
  ctx_->secret = session::load_or_create_secret(ctx_->cfg.root);
  if (!ctx_->tls.reload(error)) throw std::runtime_error(error);
  const auto& c = ctx_->cfg;
  if (!ctx_->tls.enabled()) {
    // Asking for TLS without a certificate is a configuration error, not a
    // silent downgrade.
    if (c.tls.required.value_or(false)) throw std::runtime_error("tls.required = true, but there is no certificate (" + (c.root / c.tls.cert).string() + ")");
    if (c.ftp.require_tls.value_or(false)) throw std::runtime_error("ftp.require_tls = true, but there is no certificate (" + (c.root / c.tls.cert).string() + ")");
    if (c.ftp.implicit_listen) throw std::runtime_error("implicit FTPS (ftp.implicit_listen, --ftps-listen) needs a certificate (" + (c.root / c.tls.cert).string() + ")");
  }
  pool_ = std::make_unique<io_pool>(ctx_->cfg.threads);
}

server::~server() {
  stop_probe_ = true;
  if (prober_.joinable()) prober_.join();
  if (drainer_.joinable()) drainer_.join();
}

void server::choose_send_paths() {
  const auto& setting = ctx_->cfg.download_method;
  if (const auto m = session::parse_send_method(setting)) {
    ctx_->paths.set({*m, *m});
    spdlog::info("download path: {} (download_method)", setting);
    return;
  }
  // A fraction of a second of both cores, while the first clients connect;
  // they are served all along (by copy, which works everywhere).
  prober_ = std::thread([this] {
    try {
      measure_send_paths();
    } catch (const std::exception& e) {
      spdlog::warn("download path: copy (could not measure the others: {})", e.what());
    }
  });
}

void server::measure_send_paths() {
  const auto t0 = std::chrono::steady_clock::now();
  std::string error;
  const auto figures = session::probe_send_methods(ctx_->fs, ctx_->cfg.root, transfer::default_algo, stop_probe_, error);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  if (!figures.measured()) {
    if (!stop_probe_) spdlog::warn("download path: copy (could not measure the others: {})", error);
    return;
  }
  const auto choice = session::choose(figures);
  ctx_->paths.set(choice);
  spdlog::info("{}; measured in {} ms{}", session::describe(choice, figures), ms,
               error.empty() ? "" : " (" + error + ")");
}

void server::bind_ctl(bool chown, unsigned uid, unsigned gid, unsigned allowed_uid) {
  ctl_ = std::make_unique<ctl_server>(pool_->first(), *ctx_, ctx_->cfg.root / "ctl.sock", allowed_uid, chown, uid, gid);
}

std::optional<asio::ip::tcp::endpoint> server::bind_metrics() {
  if (!ctx_->cfg.metrics_listen) return std::nullopt;
  metrics_ = std::make_unique<metrics_server>(pool_->first(), *ctx_, *ctx_->cfg.metrics_listen);
  return metrics_->local_endpoint();
}

asio::ip::tcp::endpoint server::bind() {
  native_ = std::make_unique<listener>(*pool_, *ctx_, protocol::native, ctx_->cfg.listen);
  if (ctx_->cfg.udp_status) status_ = status_responder::open(pool_->first(), *ctx_, native_->local_endpoint());
  return native_->local_endpoint();
}

std::optional<asio::ip::tcp::endpoint> server::bind_ftp() {
  if (!ctx_->cfg.ftp.listen) return std::nullopt;
  ftp_ = std::make_unique<listener>(*pool_, *ctx_, protocol::ftp, *ctx_->cfg.ftp.listen);
  return ftp_->local_endpoint();
}

std::optional<asio::ip::tcp::endpoint> server::bind_ftps() {
  if (!ctx_->cfg.ftp.implicit_listen) return std::nullopt;
  ftps_ = std::make_unique<listener>(*pool_, *ctx_, protocol::ftps, *ctx_->cfg.ftp.implicit_listen);
  return ftps_->local_endpoint();
}

void server::drain() {
  if (draining()) return;
  const auto timeout = ctx_->live.drain_timeout();
  spdlog::info("draining {} session(s), up to {} s", ctx_->registry.count(), timeout.count());
  if (native_) native_->close();
  if (ftp_) ftp_->close();
  if (ftps_) ftps_->close();
  if (ctl_) ctl_->close();
  if (metrics_) metrics_->close();
  ctx_->registry.stop_all();
  drainer_ = std::thread([this, deadline = std::chrono::steady_clock::now() + timeout] {
    if (ctx_->registry.wait_idle(deadline)) spdlog::info("all sessions finished; stopping");
    else if (std::chrono::steady_clock::now() >= deadline)
      spdlog::warn("{} session(s) still busy after the drain timeout; stopping anyway", ctx_->registry.count());
    else spdlog::warn("{} session(s) still busy; stopping now", ctx_->registry.count());
    pool_->stop();
  });
}

void server::reload() {
  ctx_->reopen_logs();  // logrotate renamed them
  reload_report_.clear();
  reload_failed_ = false;
  const auto report = [this](spdlog::level::level_enum level, std::string line) {
    spdlog::log(level, "{}", line);
    if (level >= spdlog::level::err) reload_failed_ = true;
    reload_report_.push_back(std::move(line));
  };
  std::string error;
  if (ctx_->accounts->reload(error)) report(spdlog::level::info, "accounts reloaded");
  else report(spdlog::level::err, "reload failed: " + error);
  // New sessions get the renewed certificate; running ones keep theirs.
  if (ctx_->tls.enabled()) {
    if (ctx_->tls.reload(error)) log_certificate(*ctx_->tls.current(), "TLS certificate reloaded", ctx_->cfg.root / ctx_->cfg.tls.key);
    else report(spdlog::level::err, "TLS reload failed (keeping the old certificate): " + error);
  }
  if (!load_config_) return;
  session::config next;
  if (!load_config_(next, error)) {
    report(spdlog::level::err, "settings not reloaded (keeping the running ones): " + error);
    return;
  }
  // A value a restart would refuse is refused now too, not kept for later.
  {
    auto check = next;
    unsigned cap = 0;
    std::vector<std::string> trims;
    if (!session::fit_descriptors(check, nofile_, cap, error, trims)) {
      report(spdlog::level::err, "settings not reloaded (keeping the running ones): " + error);
      return;
    }
  }
  const auto changes = session::diff_settings(loaded_, next);
  if (changes.empty()) report(spdlog::level::info, "settings unchanged");
  for (const auto& c : changes) {
    if (c.live) report(spdlog::level::info, fmt::format("setting {} changed: {} -> {}", c.name, c.before, c.after));
    else report(spdlog::level::warn, fmt::format("setting {} changed: {} -> {} (needs a restart; still {})", c.name, c.before, c.after, c.before));
  }
  // Only the live settings move; the others keep being reported until a restart.
  ctx_->apply_live(next);
  loaded_.idle_timeout = next.idle_timeout;
  loaded_.login_timeout = next.login_timeout;
  loaded_.drain_timeout = next.drain_timeout;
  loaded_.max_auth_attempts = next.max_auth_attempts;
  loaded_.ban_after = next.ban_after;
  loaded_.ban_seconds = next.ban_seconds;
  loaded_.rate = next.rate;
}

int server::run() {
  auto& loop = pool_->first();
  asio::signal_set stop_signals(loop, SIGINT, SIGTERM);
  std::function<void(const std::error_code&, int)> on_stop = [&](const std::error_code& ec, int sig) {
    if (ec) return;
    if (draining()) {
      spdlog::warn("signal {} again: stopping now", sig);
      ctx_->registry.release_waiters();  // the drainer stops the pool at once
      return;
    }
    spdlog::info("signal {}", sig);
    drain();
    stop_signals.async_wait(on_stop);
  };
  stop_signals.async_wait(on_stop);

  asio::signal_set hup(loop, SIGHUP);
  std::function<void(const std::error_code&, int)> on_hup = [&](const std::error_code& ec, int) {
    if (ec) return;
    spdlog::info("SIGHUP: reloading");
    reload();
    hup.async_wait(on_hup);
  };
  hup.async_wait(on_hup);

  if (ctl_) {
    ctl_->start({[this](nlohmann::json& reply) {
                   reload();
                   reply["report"] = reload_report_;
                   reply["ok"] = !reload_failed_;
                 },
                 [this] {
                   const bool was = draining();
                   drain();
                   return !was;
                 }});
  }
  if (metrics_) {
    metrics_->start();
    const auto ep = metrics_->local_endpoint();
    spdlog::info("metrics on http://{}:{}/metrics", ep.address().to_string(), ep.port());
  }
  if (const auto tls = ctx_->tls.current()) {
    log_certificate(*tls, "TLS on: " + (ctx_->cfg.root / ctx_->cfg.tls.cert).string(), ctx_->cfg.root / ctx_->cfg.tls.key);
    // Encryption runs in user space here; say whether the kernel could take
    // it over (kernel TLS is not used yet: bench/tls.sh measures the cost).
    spdlog::info("kernel TLS: {}", kernel_offers_tls() ? "offered by this kernel, not used yet (user-space TLS)"
                                                        : "not offered by this kernel (no \"tls\" ULP); user-space TLS");
  }
  else
    spdlog::info("TLS off: no certificate at {}", (ctx_->cfg.root / ctx_->cfg.tls.cert).string());
  log_exec_support(ctx_->cfg.exec);
  choose_send_paths();
  asio::co_spawn(pool_->first(), trim_after_sessions(*ctx_), asio::detached);
  if (native_) {
    native_->start();
    if (status_) status_->start();
    spdlog::info("ferryd serving {} on {} with {} loop(s)", ctx_->cfg.root.string(),
                 native_->local_endpoint().address().to_string() + ":" + std::to_string(native_->local_endpoint().port()),
                 pool_->size());
  }
  if (ftp_) {
    ftp_->start();
    spdlog::info("ferryd FTP front-end on {}:{}", ftp_->local_endpoint().address().to_string(),
                 ftp_->local_endpoint().port());
  }
  if (ftps_) {
    ftps_->start();
    spdlog::info("ferryd implicit FTPS on {}:{}", ftps_->local_endpoint().address().to_string(),
                 ftps_->local_endpoint().port());
  }
  pool_->run();
  stop_probe_ = true;
  if (prober_.joinable()) prober_.join();
  if (drainer_.joinable()) drainer_.join();
  if (ctl_) ctl_->close();
  if (const auto held = ctx_->fs.busy(); held > 0) {
    // A disk that hangs holds these calls, maybe forever: waiting for them
    // would keep the server from stopping, and destroying the loops they
    // resume on would crash it when they return. So stop here.
    spdlog::warn("{} filesystem call(s) still held by the disk; exiting without them", held);
    spdlog::shutdown();
    std::_Exit(0);
  }
  ctx_->fs.join();  // before the loops go: their last completions land there
  return 0;
}

}  // namespace ferry::server
