// thread_gate: two counters under one mutex, waited on with a deadline.
#include "load/thread_gate.hpp"

namespace ferry::load {

void thread_gate::arrived() {
  {
    std::lock_guard lock(mutex_);
    ++arrived_;
  }
  changed_.notify_all();
}

void thread_gate::finished() {
  {
    std::lock_guard lock(mutex_);
    ++finished_;
  }
  changed_.notify_all();
}

bool thread_gate::wait_arrived(clock::time_point until) { return wait_for(arrived_, until); }

bool thread_gate::wait_finished(clock::time_point until) { return wait_for(finished_, until); }

bool thread_gate::wait_for(const std::uint32_t& count, clock::time_point until) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, until, [&] { return count >= threads_; });
}

}  // namespace ferry::load
