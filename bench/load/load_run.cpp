// load_run: warm-up, threads, the common release, the hard stop, RSS readings, the merge.
#include "load/load_run.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "load/load_session.hpp"
#include "load/load_thread.hpp"
#include "load/proc_status.hpp"
#include "load/run_state.hpp"
#include "load/thread_gate.hpp"

namespace ferry::load {
namespace {

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

// The main thread's part: the warm-up on its own io_context, then the
// coordinator of the event-loop threads (start line, common clock, hard
// stop, RSS readings), then the merge of their figures.
class runner {
 public:
  runner(const load_options& o, std::string password)
      : opts_(o), shared_(o, std::move(password)), warm_(warm_io_, shared_, o.login_concurrency) {}

  run_outcome run() {
    raise_nofile(std::uint64_t{opts_.sessions} + 1024);
    std::string fatal;
    asio::co_spawn(warm_io_, warm_up(fatal), rethrow);
    warm_io_.run();
    run_outcome out;
    if (!fatal.empty()) {
      out.fatal = fatal;
      return out;
    }
    measure();
    out.result = collect();
    return out;
  }

 private:
  // One login per account (session i uses account i % users), TLS decided
  // by the first in automatic mode; the key cache filled; WORK made in each
  // home. Runs before any event-loop thread exists; they copy warm_'s keys.
  asio::awaitable<void> warm_up(std::string& fatal) {
    warm_.use_tls = opts_.tls != tls_choice::off;
    for (std::uint32_t i = 0; i < opts_.users; ++i) {
      load_session probe(warm_, i);
      bool ok = co_await probe.login(false);
      if (!ok && i == 0 && opts_.tls == tls_choice::automatic) {
        warm_.errors.clear();
        warm_.use_tls = false;  // the server has no certificate: plain, as ferry does on loopback
        ok = co_await probe.login(false);
      }
      if (ok && opts_.mode == load_mode::mix) ok = co_await probe.make_dir(opts_.work_dir);
      if (!ok) {
        fatal = "warm-up login as " + session_user(opts_, i) + " failed:";
        for (const auto& [kind, n] : warm_.errors) fatal += " " + kind;
        co_return;
      }
      co_await probe.bye();
    }
    warm_.errors.clear();
  }

  // Starts the threads, waits until every session has arrived, releases them
  // all with one clock (idle: reads RSS and holds first), waits for the end;
  // the hard stop (the bound plus a grace period, or --timeout) aborts every
  // thread.
  void measure() {
    if (opts_.mode == load_mode::idle) sleep_s(opts_.settle_s);
    rss_before_ = server_memory(opts_);
    if (opts_.server_pid != 0) hwm_reset_ = reset_peak_rss(opts_.server_pid);
    double limit = opts_.timeout_s;
    if (limit == 0) limit = opts_.duration_s + opts_.hold_s + grace_s + (opts_.duration_s == 0 ? 600 : 0);
    const auto n = thread_count(opts_);
    start_ = load_clock::now();
    const auto hard_stop = start_ + micros(limit);
    for (std::uint32_t t = 0; t < n; ++t) {
      threads_.push_back(std::make_unique<load_thread>(shared_, warm_, thread_sessions(opts_, t),
                                                       thread_login_cap(opts_, t), gate_));
    }
    for (auto& t : threads_) t->start();
    bool in_time = gate_.wait_arrived(hard_stop);
    if (opts_.mode == load_mode::idle) {
      t0_ = start_;
      login_done_ = load_clock::now();
      in_time = in_time && sleep_until(std::min(load_clock::now() + micros(opts_.settle_s), hard_stop), hard_stop);
      rss_loaded_ = server_memory(opts_);
      in_time = in_time && sleep_until(std::min(load_clock::now() + micros(opts_.hold_s), hard_stop), hard_stop);
      for (auto& t : threads_) t->release(t0_, load_clock::time_point::max());
    } else {
      t0_ = load_clock::now();
      const auto deadline = opts_.duration_s > 0 ? t0_ + micros(opts_.duration_s) : load_clock::time_point::max();
      for (auto& t : threads_) t->release(t0_, deadline);
    }
    if (!in_time || !gate_.wait_finished(hard_stop)) {
      hard_timeout_ = true;
      for (auto& t : threads_) t->abort();
    }
    for (auto& t : threads_) t->join();
    for (auto& t : threads_) t_end_ = std::max(t_end_, t->t_end());
    if (opts_.mode == load_mode::idle) {
      sleep_s(opts_.settle_s);
      rss_after_ = server_memory(opts_);
    }
  }

  static load_clock::duration micros(double s) {
    return std::chrono::microseconds(static_cast<std::int64_t>(s * 1e6));
  }
  static void sleep_s(double s) { std::this_thread::sleep_for(micros(s)); }
  // Sleeps until `t` (<= hard_stop); false when that reached the hard stop.
  static bool sleep_until(load_clock::time_point t, load_clock::time_point hard_stop) {
    std::this_thread::sleep_until(t);
    return t < hard_stop;
  }

  // The threads' figures merged exactly: counts summed, latency samples
  // pooled before the percentiles are taken.
  load_result collect() {
    load_result r;
    switch (opts_.mode) {
      case load_mode::mix: r.mode = "mix"; r.mix = opts_.mix.to_string(); break;
      case load_mode::logins_only: r.mode = "logins-only"; break;
      case load_mode::idle: r.mode = "idle"; break;
    }
    r.tls = warm_.use_tls;
    r.sessions = opts_.sessions;
    r.threads = static_cast<std::uint32_t>(threads_.size());
    const auto end = opts_.mode == load_mode::idle ? login_done_ : t_end_;
    r.wall_s = std::chrono::duration<double>(end - t0_).count();
    std::array<latency_stats, op_kind_count> op_stats;
    latency_stats login_stats, ls_first_stats;
    for (auto& t : threads_) {
      const auto& st = t->state();
      r.logged_in += st.logged_in;
      r.ops += st.ops_done;
      r.bytes_down += st.bytes_down;
      r.bytes_up += st.bytes_up;
      r.ls_entries += st.ls_entries;
      for (std::size_t i = 0; i < op_kind_count; ++i) op_stats[i].merge(st.op_stats[i]);
      login_stats.merge(st.login_stats);
      ls_first_stats.merge(st.ls_first_stats);
      for (const auto& [kind, count] : st.errors) r.errors[kind] += count;
    }
    if (hard_timeout_) ++r.errors["run:hard_timeout"];
    if (login_stats.count() > 0) r.rows.push_back({"login", login_stats.summarize()});
    for (std::size_t i = 0; i < op_kind_count; ++i) {
      if (op_stats[i].count() > 0) {
        r.rows.push_back({std::string(op_name(static_cast<op_kind>(i))), op_stats[i].summarize()});
      }
    }
    if (ls_first_stats.count() > 0) r.rows.push_back({"ls_first", ls_first_stats.summarize()});
    r.rss_before = rss_before_;
    r.rss_loaded = opts_.mode == load_mode::idle ? rss_loaded_ : server_memory(opts_);
    r.rss_after = rss_after_;
    r.hwm_reset = hwm_reset_;
    return r;
  }

  const load_options& opts_;
  run_shared shared_;
  asio::io_context warm_io_{1};
  run_state warm_;  ///< the warm-up's, on the main thread; the threads copy its TLS choice and keys
  thread_gate gate_{thread_count(opts_)};
  std::vector<std::unique_ptr<load_thread>> threads_;
  load_clock::time_point start_{}, t0_{}, t_end_{}, login_done_{};
  bool hwm_reset_ = false, hard_timeout_ = false;
  std::optional<proc_memory> rss_before_, rss_loaded_, rss_after_;
};

}  // namespace

run_outcome run_load(const load_options& opts, std::string password) {
  runner r(opts, std::move(password));
  return r.run();
}

}  // namespace ferry::load
