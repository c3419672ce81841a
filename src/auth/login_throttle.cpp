// Failed-login throttle: three bounded tables of failure counts (address and
// user, user, address) and the bans. Delay for the n-th failure in a row:
// 250 ms * 2^(n-1), capped at 8 s. When a table is full, expired entries go
// first, then the oldest quarter, so a flood of fresh keys costs amortised
// O(1) per failure.
#include "auth/login_throttle.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>

namespace ferry::auth {
namespace {

constexpr std::chrono::milliseconds base_delay{250};
constexpr std::chrono::milliseconds max_delay{8000};
constexpr std::chrono::minutes forget_after{15};
/// One step of delay per this many failures of a user from anywhere.
constexpr unsigned user_failures_per_step = 4;

bool expired(login_throttle::clock::time_point last, login_throttle::clock::time_point now) {
  return now - last >= forget_after;
}

std::chrono::milliseconds delay_for(unsigned failures) {
  if (failures == 0) return std::chrono::milliseconds(0);
  const unsigned shift = std::min(failures - 1, 16u);
  return std::min(base_delay * (std::int64_t{1} << shift), max_delay);
}

/// The pair's key: NUL cannot occur in an address or a user name.
std::string pair_key(const std::string& addr, const std::string& user) {
  std::string k = addr;
  k.push_back('\0');
  k += user;
  return k;
}

template <class Map, class Time>
void make_room(Map& map, Time now, Time (*last)(const typename Map::value_type&)) {
  if (map.size() < login_throttle::max_tracked) return;
  // SECURITY: bounded memory against floods of fresh addresses or names.
  std::erase_if(map, [&](const auto& kv) { return expired(last(kv), now); });
  if (map.size() < login_throttle::max_tracked) return;
  std::vector<Time> times;
  times.reserve(map.size());
  for (const auto& kv : map) times.push_back(last(kv));
  const auto nth = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 4);
  std::nth_element(times.begin(), nth, times.end());
  const auto cutoff = *nth;
  std::erase_if(map, [&](const auto& kv) { return last(kv) <= cutoff; });
}

}  // namespace

unsigned login_throttle::table::add(const std::string& key, clock::time_point now) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    make_room<decltype(map_), clock::time_point>(
        map_, now, [](const auto& kv) { return kv.second.last; });
    it = map_.emplace(key, entry{}).first;
  } else if (expired(it->second.last, now)) {
    it->second.failures = 0;
  }
  entry& e = it->second;
  if (e.failures < std::numeric_limits<unsigned>::max()) ++e.failures;
  e.last = now;
  return e.failures;
}

unsigned login_throttle::table::get(const std::string& key, clock::time_point now) {
  const auto it = map_.find(key);
  if (it == map_.end()) return 0;
  if (expired(it->second.last, now)) {
    map_.erase(it);
    return 0;
  }
  return it->second.failures;
}

void login_throttle::set_policy(policy p) {
  std::lock_guard lock(mu_);
  policy_ = p;
}

login_throttle::verdict login_throttle::record_failure(const std::string& addr, const std::string& user,
                                                       clock::time_point now) {
  std::lock_guard lock(mu_);
  const unsigned pair = pairs_.add(pair_key(addr, user), now);
  const unsigned by_user = users_.add(user, now);
  const unsigned by_addr = addrs_.add(addr, now);
  verdict v;
  v.delay = delay_for(std::max(pair, (by_user + user_failures_per_step - 1) / user_failures_per_step));
  if (policy_.ban_after != 0 && by_addr >= policy_.ban_after) {
    const auto until = now + policy_.ban_for;
    auto it = bans_.find(addr);
    if (it == bans_.end() || it->second <= now) {
      make_room<decltype(bans_), clock::time_point>(
          bans_, now, [](const auto& kv) { return kv.second + forget_after; });
      bans_[addr] = until;
      v.banned_now = true;
      addrs_.erase(addr);  // counted again from zero once the ban ends
    }
  }
  return v;
}

void login_throttle::record_success(const std::string& addr, const std::string& user) {
  std::lock_guard lock(mu_);
  pairs_.erase(pair_key(addr, user));
}

unsigned login_throttle::failures(const std::string& addr, const std::string& user, clock::time_point now) {
  std::lock_guard lock(mu_);
  return pairs_.get(pair_key(addr, user), now);
}

std::optional<login_throttle::clock::time_point> login_throttle::banned_until(const std::string& addr,
                                                                              clock::time_point now) {
  std::lock_guard lock(mu_);
  const auto it = bans_.find(addr);
  if (it == bans_.end()) return std::nullopt;
  if (it->second <= now) {
    bans_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

std::vector<std::pair<std::string, login_throttle::clock::time_point>> login_throttle::bans(clock::time_point now) {
  std::lock_guard lock(mu_);
  std::vector<std::pair<std::string, clock::time_point>> out;
  for (const auto& [addr, until] : bans_)
    if (until > now) out.emplace_back(addr, until);
  return out;
}

}  // namespace ferry::auth
