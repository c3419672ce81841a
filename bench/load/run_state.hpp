// What the sessions of one ferry-load run share: the options, the cached
// SCRAM key, the recorders, the bounds and the two gates (logins in flight,
// the release of all sessions at once). Everything runs on the one
// io_context thread, so nothing here is locked.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
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

class run_state {
 public:
  run_state(asio::io_context& io, const load_options& opts, std::string password);

  asio::io_context& io;
  const load_options& opts;
  const std::string password;
  asio::ssl::context ssl_ctx;
  bool use_tls = false;
  std::map<std::string, auth::scram_key> keys;  ///< the client-key cache, per user

  std::string content;      ///< every put's bytes (opts.file_size)
  std::string content_digest;  ///< its xxh128

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
  /// when all `expected` have arrived, on_all_arrived runs (the runner sets
  /// it). wait_release() returns once release() was called.
  void arrive();
  asio::awaitable<void> wait_release();
  void release();
  bool released() const noexcept { return released_; }
  std::uint32_t arrived() const noexcept { return arrived_; }
  std::uint32_t expected = 0;
  void (*on_all_arrived)(run_state&) = nullptr;

  /// True while a session may start one more op (and counts it): not
  /// stopping, before the deadline, under the op bound.
  bool take_op();
  bool stopping = false;
  load_clock::time_point t0{}, t_end{}, deadline = load_clock::time_point::max();
  std::uint64_t ops_issued = 0;

 private:
  std::uint32_t logins_in_flight_ = 0;
  asio::steady_timer login_wake_;
  std::uint32_t arrived_ = 0;
  bool released_ = false;
  asio::steady_timer release_timer_;
};

}  // namespace ferry::load
