// Failed-login throttle keyed by client address. Delay for the n-th failure in
// a row (n counts this one): 250 ms * 2^(n-1), capped at 8 s. An address with
// no failure for 15 minutes starts over. The map is bounded: when full, expired
// entries go first, then the oldest quarter, so a flood of fresh addresses
// costs amortised O(1) per failure.
#include "auth/login_throttle.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace ferry::auth {
namespace {

constexpr std::chrono::milliseconds base_delay{250};
constexpr std::chrono::milliseconds max_delay{8000};
constexpr std::chrono::minutes forget_after{15};

bool expired(login_throttle::clock::time_point last, login_throttle::clock::time_point now) {
  return now - last >= forget_after;
}

}  // namespace

std::chrono::milliseconds login_throttle::record_failure(const std::string& addr,
                                                         clock::time_point now) {
  std::lock_guard lock(mu_);
  auto it = map_.find(addr);
  if (it == map_.end()) {
    // SECURITY: bounded memory against floods from many addresses.
    if (map_.size() >= max_tracked) {
      std::erase_if(map_, [now](const auto& kv) { return expired(kv.second.last, now); });
    }
    if (map_.size() >= max_tracked) {
      std::vector<clock::time_point> times;
      times.reserve(map_.size());
      for (const auto& kv : map_) times.push_back(kv.second.last);
      const auto nth = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 4);
      std::nth_element(times.begin(), nth, times.end());
      const auto cutoff = *nth;
      std::erase_if(map_, [cutoff](const auto& kv) { return kv.second.last <= cutoff; });
    }
    it = map_.emplace(addr, entry{}).first;
  } else if (expired(it->second.last, now)) {
    it->second.failures = 0;
  }
  entry& e = it->second;
  if (e.failures < std::numeric_limits<unsigned>::max()) ++e.failures;
  e.last = now;

  const unsigned shift = std::min(e.failures - 1, 16u);
  const std::chrono::milliseconds delay = base_delay * (std::int64_t{1} << shift);
  return std::min(delay, max_delay);
}

void login_throttle::record_success(const std::string& addr) {
  std::lock_guard lock(mu_);
  map_.erase(addr);
}

unsigned login_throttle::failures(const std::string& addr, clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto it = map_.find(addr);
  if (it == map_.end()) return 0;
  if (expired(it->second.last, now)) {
    map_.erase(it);
    return 0;
  }
  return it->second.failures;
}

}  // namespace ferry::auth
