// The server's counters: transfers by direction and result, the duration
// histogram's buckets (cumulative in the snapshot), and adds from many
// threads at once losing nothing.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "session/server_stats.hpp"

using ferry::session::server_stats;
using ferry::session::transfer_seconds_buckets;

TEST(ServerStats, TransfersByDirectionAndResult) {
  server_stats s;
  s.transfer_ended(true, 100, 0.05, true);
  s.transfer_ended(false, 200, 2, true);
  s.transfer_ended(false, 300, 2, true);
  s.transfer_ended(true, 40, 9, false);  // cut: its bytes count, it is no transfer
  s.logins_ok += 2;
  s.logins_failed += 1;
  s.exec_runs += 4;
  const auto v = s.snapshot();
  EXPECT_EQ(v.bytes_in, 140u);
  EXPECT_EQ(v.bytes_out, 500u);
  EXPECT_EQ(v.transfers_in, 1u);
  EXPECT_EQ(v.transfers_out, 2u);
  EXPECT_EQ(v.failed_in, 1u);
  EXPECT_EQ(v.failed_out, 0u);
  EXPECT_EQ(v.logins_ok, 2u);
  EXPECT_EQ(v.logins_failed, 1u);
  EXPECT_EQ(v.exec_runs, 4u);
  EXPECT_EQ(v.duration_count, 3u);
  EXPECT_NEAR(v.duration_sum, 4.05, 1e-3);
  EXPECT_GE(v.uptime, 0.0);
}

TEST(ServerStats, HistogramBucketsAreCumulativeWithInfLast) {
  server_stats s;
  s.transfer_ended(true, 1, 0.1, true);      // exactly on a bound: in that bucket (le)
  s.transfer_ended(true, 1, 0.2, true);      // <= 0.5
  s.transfer_ended(true, 1, 100000, true);   // past every bound: +Inf only
  const auto v = s.snapshot();
  ASSERT_EQ(transfer_seconds_buckets[0], 0.1);
  EXPECT_EQ(v.duration_buckets[0], 1u);
  EXPECT_EQ(v.duration_buckets[1], 2u);
  EXPECT_EQ(v.duration_buckets[transfer_seconds_buckets.size() - 1], 2u);
  EXPECT_EQ(v.duration_buckets.back(), 3u);
  for (std::size_t i = 1; i < v.duration_buckets.size(); ++i) EXPECT_GE(v.duration_buckets[i], v.duration_buckets[i - 1]);
}

TEST(ServerStats, ConcurrentAddsAreNotLost) {
  server_stats s;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        s.transfer_ended(i % 2 == 0, 3, 0.01, true);
        s.logins_ok.fetch_add(1, std::memory_order_relaxed);
      }
    });
  for (auto& t : ts) t.join();
  const auto v = s.snapshot();
  EXPECT_EQ(v.bytes_in + v.bytes_out, 4u * 10000 * 3);
  EXPECT_EQ(v.transfers_in + v.transfers_out, 40000u);
  EXPECT_EQ(v.logins_ok, 40000u);
  EXPECT_EQ(v.duration_buckets.back(), 40000u);
}
