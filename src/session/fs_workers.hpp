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
// The pool is bounded (`fs_workers` in ferryd.toml), and so is each user's
// share of it: calls made for one user (one key) hold at most half the
// workers, the rest wait their turn, so one user's sessions stuck on slow
// files never leave the other users without a worker.
#pragma once
#include <algorithm>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include <asio/awaitable.hpp>
#include <asio/bind_cancellation_slot.hpp>
#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
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
    ++busy_;
    // No cancellation slot: the caller's (a `||` with a timer, emitted on its
    // own loop) must not reach into a coroutine running on a worker thread
    // (a data race TSan saw); `f` cannot be interrupted anyway, so the
    // caller waits for it whatever happens.
    co_return co_await asio::co_spawn(
        pool_,
        [&f, this]() -> asio::awaitable<result> {
          const busy_guard counted{busy_};
          co_return f();
        },
        asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
  }

  /// The same, counted against `key` (a user): at most per_key() calls of
  /// one key run at once; more wait, in order, for one of them to finish.
  /// A null key (no user yet) is not counted.
  template <class F>
  asio::awaitable<std::invoke_result_t<F&>> run(const void* key, F f) {
    if (key == nullptr) co_return co_await run(std::move(f));
    co_await acquire(key);
    const releaser done{*this, key};
    co_return co_await run(std::move(f));
  }

  unsigned size() const noexcept { return threads_; }
  /// Calls handed to a worker whose function has not returned yet (a disk
  /// that hangs holds them forever).
  unsigned busy() const noexcept { return busy_.load(); }
  /// Stops the workers and waits for them; call once busy() is 0, while the
  /// loops the calls resume on still exist (their last completions are
  /// handed over there). The destructor does it too.
  void join();
  unsigned per_key() const noexcept { return std::max(1u, threads_ / 2); }

 private:
  struct waiter;
  struct busy_guard {
    std::atomic<unsigned>& n;
    ~busy_guard() { --n; }
  };
  struct releaser {
    fs_workers& self;
    const void* key;
    ~releaser() { self.release(key); }
  };
  struct key_state {
    unsigned running = 0;
    std::deque<std::shared_ptr<waiter>> queue;
  };

  asio::awaitable<void> acquire(const void* key);
  void release(const void* key);

  unsigned threads_;
  std::atomic<unsigned> busy_{0};
  std::mutex mutex_;
  std::unordered_map<const void*, key_state> keys_;
  asio::thread_pool pool_;
};

/// One user's way into the pool: every call counted against the user (the
/// key). A session not logged in yet has no user: its calls are not counted.
class fs_lane {
 public:
  fs_lane(fs_workers& fs, const void* key) : fs_(&fs), key_(key) {}
  template <class F>
  asio::awaitable<std::invoke_result_t<F&>> run(F f) const {
    return fs_->run(key_, std::move(f));
  }

 private:
  fs_workers* fs_;
  const void* key_;
};

}  // namespace ferry::session
