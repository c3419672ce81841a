// ferry-load's percentiles: nearest rank, exact over every sample.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "load/latency_stats.hpp"

namespace ferry::load {
namespace {

TEST(LoadLatencyStats, NearestRankPercentiles) {
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 1; i <= 100; ++i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 50u);
  EXPECT_EQ(percentile(v, 90), 90u);
  EXPECT_EQ(percentile(v, 99), 99u);
  EXPECT_EQ(percentile(v, 100), 100u);
  EXPECT_EQ(percentile(v, 0.5), 1u);
  EXPECT_EQ(percentile(v, 0), 1u);
  EXPECT_EQ(percentile(v, 99.5), 100u);
}

TEST(LoadLatencyStats, SmallAndEmptySets) {
  EXPECT_EQ(percentile({}, 50), 0u);
  EXPECT_EQ(percentile({7}, 50), 7u);
  EXPECT_EQ(percentile({7}, 99), 7u);
  // Three samples: p50 is the 2nd (ceil 1.5), p90 and p99 the 3rd.
  const std::vector<std::uint64_t> three{10, 20, 30};
  EXPECT_EQ(percentile(three, 50), 20u);
  EXPECT_EQ(percentile(three, 90), 30u);
  EXPECT_EQ(percentile(three, 33), 10u);
  EXPECT_EQ(percentile(three, 34), 20u);
}

TEST(LoadLatencyStats, SummaryOfUnsortedMergedSamples) {
  latency_stats a, b;
  for (std::uint64_t x : {900, 100, 500}) a.add(x);
  for (std::uint64_t x : {300, 700}) b.add(x);
  a.merge(b);
  EXPECT_EQ(a.count(), 5u);
  const auto s = a.summarize();
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.p50, 500u);
  EXPECT_EQ(s.p90, 900u);
  EXPECT_EQ(s.p99, 900u);
  EXPECT_EQ(s.max, 900u);
  EXPECT_EQ(s.mean, 500u);
  EXPECT_EQ(latency_stats{}.summarize().count, 0u);
}

}  // namespace
}  // namespace ferry::load
