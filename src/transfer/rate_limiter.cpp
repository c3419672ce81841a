// Token bucket arithmetic.
#include "transfer/rate_limiter.hpp"

#include <algorithm>

namespace ferry::transfer {

void rate_limiter::set_rate(std::uint64_t rate) {
  std::lock_guard lock(mu_);
  rate_ = rate;
  burst_ = static_cast<double>(std::max<std::uint64_t>(rate, 256 * 1024));
  tokens_ = std::min(tokens_, burst_);
}

std::uint64_t rate_limiter::rate() const {
  std::lock_guard lock(mu_);
  return rate_;
}

std::chrono::nanoseconds rate_limiter::acquire(std::uint64_t n, clock::time_point now) {
  std::lock_guard lock(mu_);
  if (rate_ == 0) return std::chrono::nanoseconds(0);
  if (last_ == clock::time_point{}) {
    last_ = now;
    tokens_ = burst_;
  }
  if (now > last_) {
    const double secs = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + secs * static_cast<double>(rate_));
    last_ = now;
  }
  tokens_ -= static_cast<double>(n);
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  const double wait = -tokens_ / static_cast<double>(rate_);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(wait * 1e9));
}

}  // namespace ferry::transfer
