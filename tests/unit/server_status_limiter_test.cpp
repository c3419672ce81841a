// The UDP status limiter: per-source buckets, the server-wide bucket, and a
// table that never outgrows its bound.
#include <gtest/gtest.h>

#include "server/status_limiter.hpp"

namespace {

using ferry::server::status_limiter;
using namespace std::chrono_literals;

status_limiter::address v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  return {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d};
}

int allowed(status_limiter& l, const status_limiter::address& a, int n, status_limiter::clock::time_point t) {
  int ok = 0;
  for (int i = 0; i < n; ++i) ok += l.allow(a, t) ? 1 : 0;
  return ok;
}

TEST(StatusLimiter, OneSourceGetsItsBurstThenItsRate) {
  status_limiter l({.per_source_rate = 10, .per_source_burst = 20, .global_rate = 1000, .global_burst = 1000});
  const auto t0 = status_limiter::clock::time_point{} + 1h;
  EXPECT_EQ(allowed(l, v4(127, 0, 0, 1), 5000, t0), 20);
  EXPECT_EQ(allowed(l, v4(127, 0, 0, 1), 100, t0 + 500ms), 5);
  EXPECT_EQ(allowed(l, v4(127, 0, 0, 1), 100, t0 + 1h), 20) << "the bucket refills to the burst only";
}

TEST(StatusLimiter, AFloodDoesNotSpendOtherSourcesBudget) {
  status_limiter l({.per_source_rate = 10, .per_source_burst = 20, .global_rate = 100, .global_burst = 100});
  const auto t0 = status_limiter::clock::time_point{} + 1h;
  EXPECT_EQ(allowed(l, v4(127, 0, 0, 1), 5000, t0), 20);
  EXPECT_TRUE(l.allow(v4(127, 0, 0, 2), t0));
}

TEST(StatusLimiter, ServerWideBucketCapsManySources) {
  status_limiter l({.per_source_rate = 10, .per_source_burst = 20, .global_rate = 50, .global_burst = 50});
  const auto t0 = status_limiter::clock::time_point{} + 1h;
  int ok = 0;
  for (int i = 0; i < 1000; ++i) ok += l.allow(v4(10, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)), t0);
  EXPECT_EQ(ok, 50);
}

TEST(StatusLimiter, TableStaysBoundedUnderSpoofedSources) {
  status_limiter l({.max_sources = 64});
  const auto t0 = status_limiter::clock::time_point{} + 1h;
  for (int i = 0; i < 100000; ++i)
    l.allow(v4(10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)),
            t0 + std::chrono::microseconds(i));
  EXPECT_EQ(l.sources(), 64u);
}

TEST(StatusLimiter, RecentlySeenSourceIsKeptOverOldOnes) {
  status_limiter l({.per_source_rate = 1, .per_source_burst = 1, .global_rate = 1e6, .global_burst = 1e6, .max_sources = 4});
  const auto t0 = status_limiter::clock::time_point{} + 1h;
  EXPECT_TRUE(l.allow(v4(1, 1, 1, 1), t0));
  for (std::uint8_t i = 2; i < 10; ++i) {
    EXPECT_FALSE(l.allow(v4(1, 1, 1, 1), t0)) << "still remembered, still empty";
    l.allow(v4(2, 2, 2, i), t0);
  }
}

}  // namespace
