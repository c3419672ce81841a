#include "session/fs_workers.hpp"

#include <algorithm>

#include <asio/post.hpp>
#include <asio/this_coro.hpp>

#include "session/config.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::session {
namespace {

/// Enough for a few sessions stuck on a dead mount while the rest go on; the
/// threads sleep in the kernel when the disk is slow, so more of them than
/// cores costs little.
constexpr unsigned default_threads = 16;

/// ferryd.toml's fs_workers is at most max_fs_workers (config.hpp: a larger
/// value is refused at start); the bound here keeps other callers honest.
unsigned pick(unsigned threads) { return threads == 0 ? default_threads : std::min(threads, max_fs_workers); }

}  // namespace

/// A call waiting for its key's turn: woken by release() through its timer,
/// on its own executor. Shared, so a wake-up posted just as the waiter gave
/// up (its session ended) touches nothing freed.
struct fs_workers::waiter {
  explicit waiter(const asio::any_io_executor& ex) : wake(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer wake;
  bool granted = false;  ///< under mutex_: the slot is this waiter's now
};

fs_workers::fs_workers(unsigned threads)
    : threads_(pick(threads)), pool_(pick(threads)) {}

fs_workers::~fs_workers() { join(); }

void fs_workers::join() {
  pool_.stop();
  pool_.join();
}

asio::awaitable<void> fs_workers::acquire(const void* key) {
  auto w = std::make_shared<waiter>(co_await asio::this_coro::executor);
  {
    std::lock_guard lock(mutex_);
    auto& k = keys_[key];
    if (k.running < per_key()) {
      ++k.running;
      co_return;
    }
    k.queue.push_back(w);
  }
  co_await w->wake.async_wait(use_nothrow);
  std::lock_guard lock(mutex_);
  if (w->granted) co_return;
  // Woken by a cancellation (the session is ending), not by release(): leave
  // the queue and let the session's own unwinding go on.
  auto& q = keys_[key].queue;
  q.erase(std::find(q.begin(), q.end(), w));
  throw std::system_error(asio::error::operation_aborted);
}

void fs_workers::release(const void* key) {
  std::lock_guard lock(mutex_);
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  auto& k = it->second;
  if (!k.queue.empty()) {
    // The slot passes to the next waiter: `running` stays the same.
    auto w = std::move(k.queue.front());
    k.queue.pop_front();
    w->granted = true;
    asio::post(w->wake.get_executor(), [w] { w->wake.cancel(); });
    return;
  }
  if (--k.running == 0) keys_.erase(it);
}

}  // namespace ferry::session
