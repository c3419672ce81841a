// Token buckets for the UDP status responder, per source and server-wide.
#include "server/status_limiter.hpp"

#include <algorithm>
#include <cstring>

namespace ferry::server {

status_limiter::status_limiter(policy p) : policy_(p) {
  global_.tokens = policy_.global_burst;
  table_.reserve(policy_.max_sources);
}

bool status_limiter::bucket::take(double rate, double burst, clock::time_point now) {
  if (now > last) {
    tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * rate);
    last = now;
  }
  if (tokens < 1) return false;
  tokens -= 1;
  return true;
}

std::size_t status_limiter::address_hash::operator()(const address& a) const noexcept {
  std::uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, a.data(), 8);
  std::memcpy(&hi, a.data() + 8, 8);
  return std::hash<std::uint64_t>{}(lo * 0x9e3779b97f4a7c15ULL ^ hi);
}

bool status_limiter::allow(const address& from, clock::time_point now) {
  auto it = table_.find(from);
  if (it != table_.end()) {
    order_.splice(order_.begin(), order_, it->second);  // now the most recent
  } else {
    // SECURITY: the table never holds more than max_sources entries: a new
    // source takes the slot of the one seen least recently.
    if (table_.size() >= policy_.max_sources && !order_.empty()) {
      table_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(from, bucket{policy_.per_source_burst, now});
    it = table_.emplace(from, order_.begin()).first;
  }
  auto& source = it->second->second;
  // The source's own budget first: a flooder spends only its own tokens,
  // never the server-wide ones others need.
  if (!source.take(policy_.per_source_rate, policy_.per_source_burst, now)) return false;
  return global_.take(policy_.global_rate, policy_.global_burst, now);
}

}  // namespace ferry::server
