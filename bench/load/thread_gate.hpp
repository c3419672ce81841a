// Where ferry-load's main thread waits for its event-loop threads: each
// thread reports once that all its sessions have arrived (logged in and set
// up, or failed) and once that its loop has finished. Pure (std only): the
// one place where the threads of a run synchronise, besides posting to each
// other's io_context and the shared --ops counter.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace ferry::load {

class thread_gate {
 public:
  using clock = std::chrono::steady_clock;

  /// `threads`: how many threads will report.
  explicit thread_gate(std::uint32_t threads) : threads_(threads) {}

  /// Any thread, once per event-loop thread: its sessions have all arrived.
  void arrived();
  /// Any thread, once per event-loop thread: its loop has returned.
  void finished();

  /// Blocks until every thread arrived (true) or `until` passed (false).
  bool wait_arrived(clock::time_point until);
  /// Blocks until every thread finished (true) or `until` passed (false).
  bool wait_finished(clock::time_point until);

 private:
  bool wait_for(const std::uint32_t& count, clock::time_point until);

  const std::uint32_t threads_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint32_t arrived_ = 0;   // guarded by mutex_
  std::uint32_t finished_ = 0;  // guarded by mutex_
};

}  // namespace ferry::load
