// Per-address throttle for failed logins: each failure doubles the delay the
// next failed attempt from that address must wait (250 ms, 500 ms, ... capped at
// 8 s); a success clears it; an address quiet for 15 minutes is forgotten. Pure
// (time is passed in) and thread-safe.
#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ferry::auth {

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;

  /// Records a failure; returns the delay to impose before answering it.
  std::chrono::milliseconds record_failure(const std::string& addr, clock::time_point now);
  void record_success(const std::string& addr);
  /// Failures remembered for `addr` (after expiry at `now`).
  unsigned failures(const std::string& addr, clock::time_point now);
  /// Bounded memory: addresses tracked at most (oldest dropped beyond).
  static constexpr std::size_t max_tracked = 65536;

 private:
  struct entry {
    unsigned failures = 0;
    clock::time_point last;
  };
  std::mutex mu_;
  std::unordered_map<std::string, entry> map_;
};

}  // namespace ferry::auth
