// Filesystem calls that can block (open, stat, readdir, rename, unlink,
// fsync, reads of files not in the page cache, writes, the quota walk) run on
// a bounded pool of worker threads, never on an event loop: a hung or slow
// mount then stalls only the sessions waiting on it, not every session that
// shares their loop (issue 11). nginx's thread pools and io_uring's
// punt-to-worker do the same for the same reason.
//
// A session awaits one call at a time, so the state a call touches (its jail,
// nav_state, upload) is never used by two threads at once: the hand-off to the
// worker and back orders every access. What sessions share (quota ledgers,
// path locks, the registry) is thread-safe already, since sessions live on
// several loops.
//
// The pool is bounded (`fs_workers` in ferryd.toml): sessions stuck on a hung
// mount hold one worker each; past that, filesystem calls queue.
#pragma once
#include <type_traits>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

namespace ferry::session {

class fs_workers {
 public:
  /// `threads` 0 picks the default (16).
  explicit fs_workers(unsigned threads);
  ~fs_workers();
  fs_workers(const fs_workers&) = delete;
  fs_workers& operator=(const fs_workers&) = delete;

  /// Runs `f()` on a worker and resumes the caller on its own executor with
  /// the result (an exception propagates). `f` may hold references to the
  /// caller's locals: the caller is suspended until it returns.
  template <class F>
  asio::awaitable<std::invoke_result_t<F&>> run(F f) {
    using result = std::invoke_result_t<F&>;
    co_return co_await asio::co_spawn(
        pool_, [&f]() -> asio::awaitable<result> { co_return f(); }, asio::use_awaitable);
  }

  unsigned size() const noexcept { return threads_; }

 private:
  unsigned threads_;
  asio::thread_pool pool_;
};

}  // namespace ferry::session
