// Token bucket for bandwidth limits. Pure (time is passed in) and thread-safe:
// one bucket is shared by all sessions of a user, another by the whole server.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>

namespace ferry::transfer {

class rate_limiter {
 public:
  using clock = std::chrono::steady_clock;

  /// `rate` bytes per second (0 = unlimited); bursts up to `rate` bytes or
  /// 256 KiB, whichever is larger.
  explicit rate_limiter(std::uint64_t rate = 0) { set_rate(rate); }

  void set_rate(std::uint64_t rate);
  std::uint64_t rate() const;

  /// Takes `n` bytes from the bucket (it may go negative) and returns how long
  /// the caller must wait before sending them. Zero when unlimited.
  std::chrono::nanoseconds acquire(std::uint64_t n, clock::time_point now);

 private:
  mutable std::mutex mu_;
  std::uint64_t rate_ = 0;
  double burst_ = 0;
  double tokens_ = 0;
  clock::time_point last_{};
};

}  // namespace ferry::transfer
