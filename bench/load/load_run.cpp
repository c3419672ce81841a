// load_run: warm-up, sessions, release, bounds, the hard stop, RSS readings.
#include "load/load_run.hpp"

#include <sys/resource.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <memory>
#include <vector>

#include "load/load_session.hpp"
#include "load/proc_status.hpp"
#include "load/run_state.hpp"

namespace ferry::load {
namespace {

constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
// co_spawn's completion: an exception escaping a session is a bug of this
// program; end the run with it rather than lose it.
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

constexpr double grace_s = 60;  ///< hard stop after the bound, for sessions stuck in an op

// Raises the soft descriptor limit to the hard one (and the hard one too
// when allowed: root), so thousands of sessions fit.
void raise_nofile(std::uint64_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_max < want) {
    rlimit up{want, want};
    if (::setrlimit(RLIMIT_NOFILE, &up) == 0) return;
  }
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

std::optional<proc_memory> server_memory(const load_options& o) {
  if (o.server_pid == 0) return std::nullopt;
  return read_proc_status(o.server_pid);
}

asio::awaitable<void> sleep_s(asio::io_context& io, double s) {
  asio::steady_timer t(io);
  t.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(s * 1e6)));
  co_await t.async_wait(use_tuple);
}

class runner {
 public:
  runner(const load_options& o, std::string password) : opts_(o), st_(io_, o, std::move(password)) {}

  run_outcome run() {
    raise_nofile(std::uint64_t{opts_.sessions} + 1024);
    std::string fatal;
    asio::co_spawn(io_, warm_up(fatal), rethrow);
    io_.run();
    io_.restart();
    run_outcome out;
    if (!fatal.empty()) {
      out.fatal = fatal;
      return out;
    }
    asio::co_spawn(io_, measure(), rethrow);
    io_.run();
    out.result = collect();
    return out;
  }

 private:
  // One login per account (session i uses account i % users), TLS decided
  // by the first in automatic mode; the key cache filled; WORK made in each home.
  asio::awaitable<void> warm_up(std::string& fatal) {
    st_.use_tls = opts_.tls != tls_choice::off;
    for (std::uint32_t i = 0; i < opts_.users; ++i) {
      load_session probe(st_, i);
      bool ok = co_await probe.login(false);
      if (!ok && i == 0 && opts_.tls == tls_choice::automatic) {
        st_.errors.clear();
        st_.use_tls = false;  // the server has no certificate: plain, as ferry does on loopback
        ok = co_await probe.login(false);
      }
      if (ok && opts_.mode == load_mode::mix) ok = co_await probe.make_dir(opts_.work_dir);
      if (!ok) {
        fatal = "warm-up login as " + session_user(opts_, i) + " failed:";
        for (const auto& [kind, n] : st_.errors) fatal += " " + kind;
        co_return;
      }
      co_await probe.bye();
    }
    st_.errors.clear();
  }

  asio::awaitable<void> measure() {
    if (opts_.mode == load_mode::idle) co_await sleep_s(io_, opts_.settle_s);
    rss_before_ = server_memory(opts_);
    if (opts_.server_pid != 0) hwm_reset_ = reset_peak_rss(opts_.server_pid);
    st_.expected = opts_.sessions;
    st_.on_all_arrived = [](run_state& s) {
      if (s.opts.mode != load_mode::idle) start_clock(s);
    };
    start_ = load_clock::now();
    for (std::uint32_t i = 0; i < opts_.sessions; ++i) {
      sessions_.push_back(std::make_unique<load_session>(st_, i));
      asio::co_spawn(io_, session_main(*sessions_.back()), rethrow);
    }
    if (opts_.mode == load_mode::logins_only) {
      // Nothing to set up: the clock starts now and every session loops.
      start_clock(st_);
    }
    asio::co_spawn(io_, watchdog(), rethrow);
    if (opts_.mode == load_mode::idle) co_await idle_phase();
  }

  static void start_clock(run_state& s) {
    s.t0 = load_clock::now();
    if (s.opts.duration_s > 0) {
      s.deadline = s.t0 + std::chrono::microseconds(static_cast<std::int64_t>(s.opts.duration_s * 1e6));
    }
    s.release();
  }

  // Idle: wait until every session is in, settle, read RSS, hold, release.
  asio::awaitable<void> idle_phase() {
    asio::steady_timer poll(io_);
    while (st_.arrived() < opts_.sessions && !st_.stopping) {
      poll.expires_after(std::chrono::milliseconds(20));
      co_await poll.async_wait(use_tuple);
    }
    st_.t0 = start_;
    login_done_ = load_clock::now();
    co_await sleep_s(io_, opts_.settle_s);
    rss_loaded_ = server_memory(opts_);
    co_await sleep_s(io_, opts_.hold_s);
    st_.release();
  }

  asio::awaitable<void> session_main(load_session& s) {
    co_await s.run();
    if (++finished_ == opts_.sessions) {
      st_.t_end = load_clock::now();
      done_ = true;
      watchdog_timer_.cancel();
      if (opts_.mode == load_mode::idle) asio::co_spawn(io_, after_close(), rethrow);
    }
  }

  asio::awaitable<void> after_close() {
    co_await sleep_s(io_, opts_.settle_s);
    rss_after_ = server_memory(opts_);
  }

  // The hard stop: the bound plus a grace period (or --timeout).
  asio::awaitable<void> watchdog() {
    double limit = opts_.timeout_s;
    if (limit == 0) limit = opts_.duration_s + opts_.hold_s + grace_s + (opts_.duration_s == 0 ? 600 : 0);
    watchdog_timer_.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(limit * 1e6)));
    co_await watchdog_timer_.async_wait(use_tuple);
    if (done_) co_return;
    st_.stopping = true;
    st_.record_error("run:hard_timeout");
    st_.release();
    for (auto& s : sessions_) s->abort();
  }

  load_result collect() {
    load_result r;
    switch (opts_.mode) {
      case load_mode::mix: r.mode = "mix"; r.mix = opts_.mix.to_string(); break;
      case load_mode::logins_only: r.mode = "logins-only"; break;
      case load_mode::idle: r.mode = "idle"; break;
    }
    r.tls = st_.use_tls;
    r.sessions = opts_.sessions;
    r.logged_in = st_.logged_in;
    const auto end = opts_.mode == load_mode::idle ? login_done_ : st_.t_end;
    r.wall_s = std::chrono::duration<double>(end - st_.t0).count();
    r.ops = st_.ops_done;
    r.bytes_down = st_.bytes_down;
    r.bytes_up = st_.bytes_up;
    r.ls_entries = st_.ls_entries;
    if (st_.login_stats.count() > 0) r.rows.push_back({"login", st_.login_stats.summarize()});
    for (std::size_t i = 0; i < op_kind_count; ++i) {
      if (st_.op_stats[i].count() > 0) {
        r.rows.push_back({std::string(op_name(static_cast<op_kind>(i))), st_.op_stats[i].summarize()});
      }
    }
    if (st_.ls_first_stats.count() > 0) r.rows.push_back({"ls_first", st_.ls_first_stats.summarize()});
    r.errors = st_.errors;
    r.rss_before = rss_before_;
    r.rss_loaded = opts_.mode == load_mode::idle ? rss_loaded_ : server_memory(opts_);
    r.rss_after = rss_after_;
    r.hwm_reset = hwm_reset_;
    return r;
  }

  const load_options& opts_;
  asio::io_context io_{1};
  run_state st_;
  std::vector<std::unique_ptr<load_session>> sessions_;
  asio::steady_timer watchdog_timer_{io_};
  load_clock::time_point start_{}, login_done_{};
  std::uint32_t finished_ = 0;
  bool done_ = false, hwm_reset_ = false;
  std::optional<proc_memory> rss_before_, rss_loaded_, rss_after_;
};

}  // namespace

run_outcome run_load(const load_options& opts, std::string password) {
  runner r(opts, std::move(password));
  return r.run();
}

}  // namespace ferry::load
