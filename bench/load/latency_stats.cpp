// latency_stats: nearest-rank percentiles over every recorded sample.
#include "load/latency_stats.hpp"

#include <algorithm>
#include <cmath>

namespace ferry::load {

std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) noexcept {
  if (sorted.empty()) return 0;
  if (p <= 0) return sorted.front();
  if (p >= 100) return sorted.back();
  const double n = static_cast<double>(sorted.size());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void latency_stats::merge(const latency_stats& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
}

latency_summary latency_stats::summarize() {
  std::sort(samples_.begin(), samples_.end());
  latency_summary s;
  s.count = samples_.size();
  if (samples_.empty()) return s;
  s.p50 = percentile(samples_, 50);
  s.p90 = percentile(samples_, 90);
  s.p99 = percentile(samples_, 99);
  s.max = samples_.back();
  std::uint64_t sum = 0;
  for (auto v : samples_) sum += v;
  s.mean = sum / s.count;
  return s;
}

}  // namespace ferry::load
