// What the sessions of one ferry-load run share. run_shared: what every
// event-loop thread reads (options, password, the put content) and the one
// counter they update together (--ops), made before the threads start.
// run_state: one thread's own part: its cached SCRAM keys (a copy), its
// recorders, the bounds and the two gates (logins in flight, the release of
// its sessions). A run_state is used only on its io_context's thread, so
// nothing in it is locked.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>

#include "auth/scram_client.hpp"
#include "load/latency_stats.hpp"
#include "load/load_options.hpp"
#include "load/op_mix.hpp"

namespace ferry::load {

using load_clock = std::chrono::steady_clock;

/// Recorders beyond the five ops: the login, an ls's first frame.
enum class extra_row { login, ls_first };

/// Made on the main thread before any event-loop thread starts and destroyed
/// after they are joined; const but for the atomic op counter.
struct run_shared {
  run_shared(const load_options& o, std::string pw);

  const load_options& opts;
  const std::string password;
  const std::string content;         ///< every put's bytes (opts.file_size)
  const std::string content_digest;  ///< its xxh128
  std::atomic<std::uint64_t> ops_issued{0};  ///< ops started by all threads (the --ops bound)
};

class run_state {
 public:
  /// `login_cap`: this thread's share of --login-concurrency.
  run_state(asio::io_context& io, run_shared& shared, std::uint32_t login_cap);

  asio::io_context& io;
  const load_options& opts;
  const std::string& password;
  asio::ssl::context ssl_ctx;  ///< this thread's own (not shared across threads)
  bool use_tls = false;
  std::map<std::string, auth::scram_key> keys;  ///< the client-key cache, per user (this thread's copy)

  const std::string& content;         ///< run_shared::content
  const std::string& content_digest;  ///< run_shared::content_digest

  std::array<latency_stats, op_kind_count> op_stats;
  latency_stats login_stats, ls_first_stats;
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t ops_done = 0, bytes_down = 0, bytes_up = 0, ls_entries = 0;
  std::uint32_t logged_in = 0;

  void record_error(std::string kind) { ++errors[std::move(kind)]; }

  /// Login gate: at most opts.login_concurrency logins at once.
  asio::awaitable<void> acquire_login();
  void release_login();

  /// Release gate: a session calls arrive() once it is ready (or failed);
  /// when all `expected` have arrived, on_all_arrived runs (the thread sets
  /// it). wait_release() returns once release() was called.
  void arrive();
  asio::awaitable<void> wait_release();
  void release();
  bool released() const noexcept { return released_; }
  std::uint32_t arrived() const noexcept { return arrived_; }
  std::uint32_t expected = 0;
  std::function<void()> on_all_arrived;

  /// True while a session may start one more op (and counts it): not
  /// stopping, before the deadline, under the op bound of all threads.
  bool take_op();
  bool stopping = false;
  load_clock::time_point t0{}, deadline = load_clock::time_point::max();

 private:
  std::atomic<std::uint64_t>& ops_issued_;
  const std::uint32_t login_cap_;
  std::uint32_t logins_in_flight_ = 0;
  asio::steady_timer login_wake_;
  std::uint32_t arrived_ = 0;
  bool released_ = false;
  asio::steady_timer release_timer_;
};

}  // namespace ferry::load
