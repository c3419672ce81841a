// Failed-login throttle: doubling delay with a cap, reset on success, forgetting
// after 15 quiet minutes, per-address isolation, bounded memory, thread safety.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "auth/login_throttle.hpp"

namespace {

using ferry::auth::login_throttle;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

const login_throttle::clock::time_point t0{std::chrono::hours(1000)};

TEST(LoginThrottle, DelayDoublesAndCaps) {
  login_throttle t;
  const std::vector<ms> want = {250ms, 500ms,  1000ms, 2000ms, 4000ms,
                                8000ms, 8000ms, 8000ms, 8000ms, 8000ms};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t.record_failure("10.0.0.1", t0 + ms(i)), want[i]) << i;
    EXPECT_EQ(t.failures("10.0.0.1", t0 + ms(i)), i + 1);
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(t.record_failure("10.0.0.1", t0 + 1s), 8000ms);
}

TEST(LoginThrottle, SuccessClears) {
  login_throttle t;
  t.record_failure("a", t0);
  t.record_failure("a", t0);
  EXPECT_EQ(t.failures("a", t0), 2u);
  t.record_success("a");
  EXPECT_EQ(t.failures("a", t0), 0u);
  EXPECT_EQ(t.record_failure("a", t0), 250ms);
  t.record_success("never-seen");
}

TEST(LoginThrottle, ForgetsAfterFifteenQuietMinutes) {
  login_throttle t;
  t.record_failure("a", t0);
  EXPECT_EQ(t.failures("a", t0 + 15min - 1ms), 1u);
  EXPECT_EQ(t.record_failure("a", t0 + 15min - 1ms), 500ms);
  // Quiet is measured from the latest failure.
  EXPECT_EQ(t.failures("a", t0 + 29min), 2u);
  EXPECT_EQ(t.failures("a", t0 + 15min - 1ms + 15min), 0u);
  t.record_failure("b", t0);
  EXPECT_EQ(t.record_failure("b", t0 + 15min), 250ms);
}

TEST(LoginThrottle, AddressesAreIndependent) {
  login_throttle t;
  t.record_failure("a", t0);
  t.record_failure("a", t0);
  EXPECT_EQ(t.record_failure("b", t0), 250ms);
  EXPECT_EQ(t.failures("a", t0), 2u);
  EXPECT_EQ(t.failures("c", t0), 0u);
}

TEST(LoginThrottle, MemoryIsBounded) {
  login_throttle t;
  const std::size_t n = login_throttle::max_tracked + 100;
  for (std::size_t i = 0; i < n; ++i) t.record_failure("addr" + std::to_string(i), t0 + ms(i));
  const auto now = t0 + ms(n);
  EXPECT_EQ(t.failures("addr0", now), 0u);  // the oldest were dropped
  EXPECT_EQ(t.failures("addr" + std::to_string(n - 1), now), 1u);
  std::size_t tracked = 0;
  for (std::size_t i = 0; i < n; ++i) tracked += t.failures("addr" + std::to_string(i), now);
  EXPECT_LE(tracked, login_throttle::max_tracked);
  EXPECT_GT(tracked, login_throttle::max_tracked / 2);
}

TEST(LoginThrottle, ExpiredEntriesMakeRoomFirst) {
  login_throttle t;
  for (std::size_t i = 0; i < login_throttle::max_tracked; ++i) {
    t.record_failure("old" + std::to_string(i), t0);
  }
  t.record_failure("keep", t0 + 20min);
  t.record_failure("new", t0 + 20min);
  EXPECT_EQ(t.failures("keep", t0 + 20min), 1u);
  EXPECT_EQ(t.failures("new", t0 + 20min), 1u);
}

TEST(LoginThrottle, ConcurrentUse) {
  login_throttle t;
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      for (int i = 0; i < 2000; ++i) {
        t.record_failure("shared", t0);
        t.record_failure("own" + std::to_string(k), t0);
        (void)t.failures("shared", t0);
        if (i % 100 == 0) t.record_success("own" + std::to_string(k));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.failures("shared", t0), 8000u);
}

}  // namespace
