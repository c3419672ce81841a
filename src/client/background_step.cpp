#include "client/background_step.hpp"

namespace ferry::client {

background_step::background_step() : thread_([this] { loop(); }) {}

background_step::~background_step() {
  {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return !busy_; });
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void background_step::start(std::function<void()> job) {
  std::unique_lock lock(m_);
  cv_.wait(lock, [&] { return !busy_; });
  job_ = std::move(job);
  busy_ = true;
  cv_.notify_all();
}

void background_step::wait() {
  std::unique_lock lock(m_);
  cv_.wait(lock, [&] { return !busy_; });
}

void background_step::loop() {
  std::unique_lock lock(m_);
  for (;;) {
    cv_.wait(lock, [&] { return busy_ || stop_; });
    if (!busy_) return;  // stop_, nothing in hand
    auto job = std::move(job_);
    lock.unlock();
    job();
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace ferry::client
