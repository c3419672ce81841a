// Latency samples of one kind of op and their percentiles. Pure. Every sample
// is kept (a bounded run records at most a few million), so the percentiles
// are exact, by the nearest-rank definition: the p-th percentile of n sorted
// samples is the ceil(p/100 * n)-th smallest.
#pragma once
#include <cstdint>
#include <vector>

namespace ferry::load {

/// The nearest-rank percentile `p` (0 < p <= 100) of `sorted` (ascending);
/// 0 for no samples. p <= 0 gives the smallest.
std::uint64_t percentile(const std::vector<std::uint64_t>& sorted, double p) noexcept;

struct latency_summary {
  std::uint64_t count = 0;
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, max = 0;  ///< microseconds
  std::uint64_t mean = 0;                           ///< microseconds, rounded down
};

class latency_stats {
 public:
  void add(std::uint64_t micros) { samples_.push_back(micros); }
  /// Appends another recorder's samples (sessions record alone, then merge).
  void merge(const latency_stats& other);
  std::uint64_t count() const noexcept { return samples_.size(); }
  /// Sorts the samples (once per call) and summarises them.
  latency_summary summarize();

 private:
  std::vector<std::uint64_t> samples_;
};

}  // namespace ferry::load
