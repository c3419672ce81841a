// Failed-login throttle: doubling delay with a cap per (address, user), the
// user's failures from anywhere, a success clearing only its pair, bans of an
// address after ban_after failures, forgetting after 15 quiet minutes,
// bounded memory, thread safety.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "auth/login_throttle.hpp"

namespace {

using ferry::auth::login_throttle;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

const login_throttle::clock::time_point t0{std::chrono::hours(1000)};

login_throttle no_bans() { return login_throttle({0, 15min}); }

TEST(LoginThrottle, DelayDoublesAndCaps) {
  auto t = no_bans();
  const std::vector<ms> want = {250ms, 500ms,  1000ms, 2000ms, 4000ms,
                                8000ms, 8000ms, 8000ms, 8000ms, 8000ms};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t.record_failure("10.0.0.1", "u", t0 + ms(i)).delay, want[i]) << i;
    EXPECT_EQ(t.failures("10.0.0.1", "u", t0 + ms(i)), i + 1);
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(t.record_failure("10.0.0.1", "u", t0 + 1s).delay, 8000ms);
}

TEST(LoginThrottle, ASuccessClearsOnlyItsPair) {
  auto t = no_bans();
  // Guessing "victim" from an address, then logging in to one's own account
  // from it: the guesses still count (today's old rule erased them all).
  for (int i = 0; i < 3; ++i) t.record_failure("a", "victim", t0);
  t.record_failure("a", "me", t0);
  t.record_success("a", "me");
  EXPECT_EQ(t.failures("a", "me", t0), 0u);
  EXPECT_EQ(t.failures("a", "victim", t0), 3u);
  EXPECT_EQ(t.record_failure("a", "victim", t0).delay, 2000ms) << "the fourth in a row";
  t.record_success("never", "seen");
}

TEST(LoginThrottle, GuessingOneUserFromManyAddressesIsSlowedToo) {
  auto t = no_bans();
  // A fresh address each time: one step of delay per four failures of the user.
  ms last{0};
  for (int i = 0; i < 20; ++i) last = t.record_failure("10.1.0." + std::to_string(i), "root", t0).delay;
  EXPECT_EQ(last, 4000ms) << "20 failures of one user: 5 steps";
  EXPECT_EQ(t.record_failure("10.9.9.9", "other", t0).delay, 250ms) << "other users are not slowed";
}

TEST(LoginThrottle, ForgetsAfterFifteenQuietMinutes) {
  auto t = no_bans();
  t.record_failure("a", "u", t0);
  EXPECT_EQ(t.failures("a", "u", t0 + 15min - 1ms), 1u);
  EXPECT_EQ(t.record_failure("a", "u", t0 + 15min - 1ms).delay, 500ms);
  EXPECT_EQ(t.failures("a", "u", t0 + 29min), 2u) << "quiet is measured from the latest failure";
  EXPECT_EQ(t.failures("a", "u", t0 + 15min - 1ms + 15min), 0u);
}

TEST(LoginThrottle, AnAddressIsBannedAfterBanAfterFailures) {
  login_throttle t({5, 10min});
  for (int i = 0; i < 4; ++i) {
    EXPECT_FALSE(t.record_failure("bad", "user" + std::to_string(i), t0).banned_now);
    EXPECT_FALSE(t.banned_until("bad", t0));
  }
  EXPECT_TRUE(t.record_failure("bad", "user9", t0).banned_now) << "the fifth, whatever the users";
  ASSERT_TRUE(t.banned_until("bad", t0));
  EXPECT_EQ(*t.banned_until("bad", t0 + 1min), t0 + 10min);
  EXPECT_FALSE(t.banned_until("good", t0));
  ASSERT_EQ(t.bans(t0).size(), 1u);
  EXPECT_EQ(t.bans(t0)[0].first, "bad");
  EXPECT_FALSE(t.banned_until("bad", t0 + 10min)) << "the ban ends";
  EXPECT_TRUE(t.bans(t0 + 10min).empty());
  EXPECT_FALSE(t.record_failure("bad", "x", t0 + 11min).banned_now) << "counted again from zero";
}

TEST(LoginThrottle, MemoryIsBounded) {
  auto t = no_bans();
  const std::size_t n = login_throttle::max_tracked + 100;
  for (std::size_t i = 0; i < n; ++i) t.record_failure("addr" + std::to_string(i), "u" + std::to_string(i), t0 + ms(i));
  const auto now = t0 + ms(n);
  EXPECT_EQ(t.failures("addr0", "u0", now), 0u);  // the oldest were dropped
  EXPECT_EQ(t.failures("addr" + std::to_string(n - 1), "u" + std::to_string(n - 1), now), 1u);
  std::size_t tracked = 0;
  for (std::size_t i = 0; i < n; ++i) tracked += t.failures("addr" + std::to_string(i), "u" + std::to_string(i), now);
  EXPECT_LE(tracked, login_throttle::max_tracked);
  EXPECT_GT(tracked, login_throttle::max_tracked / 2);
}

TEST(LoginThrottle, ConcurrentUse) {
  login_throttle t({0, 1min});
  std::vector<std::thread> threads;
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&t, k] {
      for (int i = 0; i < 2000; ++i) {
        t.record_failure("shared", "u", t0);
        t.record_failure("own" + std::to_string(k), "u", t0);
        (void)t.failures("shared", "u", t0);
        (void)t.banned_until("shared", t0);
        if (i % 100 == 0) t.record_success("own" + std::to_string(k), "u");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.failures("shared", "u", t0), 8000u);
}

}  // namespace
