// Token bucket: unlimited is free, a burst passes at once, a sustained stream
// is held to the rate, the bucket is shared and a rate change takes effect.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "transfer/rate_limiter.hpp"

namespace {

using ferry::transfer::rate_limiter;
using namespace std::chrono_literals;

const rate_limiter::clock::time_point t0{std::chrono::hours(1000)};

TEST(RateLimiter, UnlimitedNeverWaits) {
  rate_limiter r;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(r.acquire(1 << 30, t0), 0ns);
}

TEST(RateLimiter, BurstThenWaitProportionalToDeficit) {
  rate_limiter r(1 << 20);  // 1 MiB/s, burst 1 MiB
  EXPECT_EQ(r.acquire(1 << 20, t0), 0ns);
  // The next 512 KiB must wait half a second.
  const auto w = r.acquire(512 * 1024, t0);
  EXPECT_NEAR(std::chrono::duration<double>(w).count(), 0.5, 1e-6);
}

TEST(RateLimiter, SustainedStreamHeldToRate) {
  rate_limiter r(10 << 20);  // 10 MiB/s
  auto now = t0;
  std::uint64_t sent = 0;
  // Simulate a sender that always sleeps as told: 100 MiB must take ~9 s
  // (10 s minus the initial 10 MiB burst).
  while (sent < (100u << 20)) {
    now += r.acquire(64 * 1024, now);
    sent += 64 * 1024;
  }
  EXPECT_NEAR(std::chrono::duration<double>(now - t0).count(), 9.0, 0.01);
}

TEST(RateLimiter, SmallRatesStillAllowQuarterMebibyteBurst) {
  rate_limiter r(1000);
  EXPECT_EQ(r.acquire(256 * 1024, t0), 0ns);
  EXPECT_GT(r.acquire(1, t0), 0ns);
}

TEST(RateLimiter, RefillIsCappedAtBurst) {
  rate_limiter r(1 << 20);
  EXPECT_EQ(r.acquire(1 << 20, t0), 0ns);
  // An hour idle refills only one burst, not an hour's worth.
  EXPECT_EQ(r.acquire(1 << 20, t0 + 1h), 0ns);
  EXPECT_GT(r.acquire(1 << 20, t0 + 1h), 900ms);
}

TEST(RateLimiter, RateChangeAndUnlimitAgain) {
  rate_limiter r(1 << 20);
  EXPECT_EQ(r.acquire(1 << 20, t0), 0ns);
  EXPECT_GT(r.acquire(1 << 20, t0), 0ns);
  r.set_rate(0);
  EXPECT_EQ(r.rate(), 0u);
  EXPECT_EQ(r.acquire(1 << 30, t0), 0ns);
}

TEST(RateLimiter, SharedBetweenThreadsCountsEveryByte) {
  rate_limiter r(1 << 20);
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < 64; ++k) r.acquire(64 * 1024, t0);
    });
  for (auto& t : ts) t.join();
  // 16 MiB taken at one instant with 1 MiB of burst: 15 s of debt.
  const auto w = r.acquire(0, t0);
  EXPECT_NEAR(std::chrono::duration<double>(w).count(), 15.0, 1e-6);
}

}  // namespace
