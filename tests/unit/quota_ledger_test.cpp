// Quota ledger: reservations, replacement credit, concurrent uploaders,
// release, frees, saturation, lowered limits and resync rules.
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "vfs/quota_ledger.hpp"

namespace {

using ferry::vfs::local_quota_ledger;
using ferry::vfs::quota_ledger;
constexpr std::uint64_t MiB = 1 << 20;

void setup(quota_ledger& q, std::uint64_t used, std::uint64_t limit) {
  q.resync(used);
  q.set_limit(limit);
}

TEST(QuotaLedger, FitsRule) {
  quota_ledger::snapshot s{.used = 60 * MiB, .reserved = 0, .limit = 100 * MiB};
  EXPECT_TRUE(quota_ledger::fits(s, 40 * MiB, 0));
  EXPECT_FALSE(quota_ledger::fits(s, 40 * MiB + 1, 0));
  // Replacing a 30 MiB file with a 70 MiB one fits: 60 + 70 - 30 = 100.
  EXPECT_TRUE(quota_ledger::fits(s, 70 * MiB, 30 * MiB));
  s.reserved = 1;
  EXPECT_FALSE(quota_ledger::fits(s, 70 * MiB, 30 * MiB));
  s.limit = 0;
  EXPECT_TRUE(quota_ledger::fits(s, std::numeric_limits<std::uint64_t>::max(), 0));
}

TEST(QuotaLedger, FitsNeverOverflows) {
  const auto big = std::numeric_limits<std::uint64_t>::max();
  quota_ledger::snapshot s{.used = big - 10, .reserved = 0, .limit = 100};
  EXPECT_FALSE(quota_ledger::fits(s, 20, 0));
  s = {.used = 10, .reserved = 0, .limit = 100};
  EXPECT_FALSE(quota_ledger::fits(s, big, big));
}

TEST(QuotaLedger, TwoUploadersCannotJointlyExceed) {
  local_quota_ledger q;
  setup(q, 0, 100 * MiB);
  EXPECT_TRUE(q.reserve(60 * MiB, 0));
  EXPECT_FALSE(q.reserve(60 * MiB, 0));  // the first one's bytes are promised
  EXPECT_TRUE(q.reserve(40 * MiB, 0));
  EXPECT_EQ(q.get().reserved, 100 * MiB);
}

TEST(QuotaLedger, WritesMoveReservedToUsedAndReleaseReturnsRest) {
  local_quota_ledger q;
  setup(q, 5, 100 * MiB);
  ASSERT_TRUE(q.reserve(10 * MiB, 0));
  q.wrote(4 * MiB);
  EXPECT_EQ(q.get().used, 5 + 4 * MiB);
  EXPECT_EQ(q.get().reserved, 6 * MiB);
  q.release(6 * MiB);
  EXPECT_EQ(q.get().reserved, 0u);
  EXPECT_EQ(q.get().used, 5 + 4 * MiB);  // the part file still occupies disk
}

TEST(QuotaLedger, FreedSaturatesAtZero) {
  local_quota_ledger q;
  setup(q, 100, 0);
  q.freed(1000);
  EXPECT_EQ(q.get().used, 0u);
  q.release(7);
  EXPECT_EQ(q.get().reserved, 0u);
}

TEST(QuotaLedger, GrowChecksEachChunk) {
  local_quota_ledger q;
  setup(q, 90, 100);
  EXPECT_TRUE(q.grow(10, 0));
  EXPECT_FALSE(q.grow(1, 0));
  EXPECT_TRUE(q.grow(1, 5));  // replacing 5 bytes leaves room
  EXPECT_EQ(q.get().used, 101u);
}

TEST(QuotaLedger, LoweredLimitIsSeenMidUpload) {
  local_quota_ledger q;
  setup(q, 0, 100);
  ASSERT_TRUE(q.reserve(50, 0));
  EXPECT_TRUE(q.within(0));
  q.set_limit(40);
  EXPECT_FALSE(q.within(0));
}

TEST(QuotaLedger, ResyncIgnoredWhileUploadsOpen) {
  local_quota_ledger q;
  EXPECT_FALSE(q.known());
  q.resync(10);
  EXPECT_TRUE(q.known());
  q.open_upload();
  q.resync(999);
  EXPECT_EQ(q.get().used, 10u);
  q.close_upload();
  q.resync(999);
  EXPECT_EQ(q.get().used, 999u);
}

TEST(QuotaLedger, ConcurrentReservationsNeverOvershoot) {
  local_quota_ledger q;
  setup(q, 0, 1000);
  std::vector<std::thread> ts;
  std::atomic<int> granted{0};
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < 100; ++k)
        if (q.reserve(7, 0)) ++granted;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(granted.load(), 1000 / 7);
  EXPECT_LE(q.get().reserved, 1000u);
}

}  // namespace
