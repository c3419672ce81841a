// Quota ledger: reservations, replacement credit, concurrent uploaders,
// release, frees, saturation, lowered limits and resync rules; names and
// the file-count limit.
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "vfs/quota_ledger.hpp"

namespace {

using ferry::errc;
using ferry::vfs::local_quota_ledger;
using ferry::vfs::quota_ledger;
using ferry::vfs::usage;
using ferry::vfs::usage_change;
constexpr std::uint64_t MiB = 1 << 20;
constexpr std::uint64_t U = ferry::vfs::charge_unit;

void setup(quota_ledger& q, std::uint64_t used, std::uint64_t limit, std::uint64_t files = 0,
           std::uint64_t max_files = 0) {
  q.resync({used, files});
  q.set_limits(limit, max_files);
}

/// Gives back `n` bytes (what rm of a name's bytes does).
void freed(quota_ledger& q, std::uint64_t n) { q.apply({.added = {}, .removed = {n, 0}}); }

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
  freed(q, 1000);
  EXPECT_EQ(q.get().used, 0u);
  q.apply({.added = {}, .removed = {0, 5}});
  EXPECT_EQ(q.get().files, 0u);
  q.release(7);
  EXPECT_EQ(q.get().reserved, 0u);
}

TEST(QuotaLedger, ChargeChecksEachChunk) {
  local_quota_ledger q;
  setup(q, 90, 100);
  EXPECT_EQ(q.charge({10, 0}, {}), errc::ok);
  EXPECT_EQ(q.charge({1, 0}, {}), errc::quota_exceeded);
  EXPECT_EQ(q.charge({1, 0}, {5, 0}), errc::ok);  // replacing 5 bytes leaves room
  EXPECT_EQ(q.get().used, 101u);
}

TEST(QuotaLedger, LoweredLimitIsSeenMidUpload) {
  local_quota_ledger q;
  setup(q, 0, 100);
  ASSERT_TRUE(q.reserve(50, 0));
  EXPECT_TRUE(q.within(0));
  q.set_limits(40, 0);
  EXPECT_FALSE(q.within(0));
}

TEST(QuotaLedger, ResyncIgnoredWhileUploadsOpen) {
  local_quota_ledger q;
  EXPECT_FALSE(q.known());
  q.resync({10, 1});
  EXPECT_TRUE(q.known());
  q.open_upload();
  q.resync({999, 9});
  EXPECT_EQ(q.get().used, 10u);
  EXPECT_EQ(q.get().files, 1u);
  q.close_upload();
  q.resync({999, 9});
  EXPECT_EQ(q.get().used, 999u);
  EXPECT_EQ(q.get().files, 9u);
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

// --- names and max_files ---------------------------------------------------------

TEST(QuotaLedger, AdmitsRule) {
  quota_ledger::snapshot s{.used = 0, .reserved = 0, .limit = 0, .files = 9, .max_files = 10};
  EXPECT_EQ(quota_ledger::admits(s, {U, 1}, {}), errc::ok) << "the 10th name";
  s.files = 10;
  EXPECT_EQ(quota_ledger::admits(s, {U, 1}, {}), errc::too_many_files) << "the 11th";
  EXPECT_EQ(quota_ledger::admits(s, {U, 1}, {U, 1}), errc::ok) << "replacing a name adds none";
  EXPECT_EQ(quota_ledger::admits(s, {5 * U, 0}, {}), errc::ok) << "bytes alone are not a name";
  s.files = 20;  // max_files lowered below what the home holds
  EXPECT_EQ(quota_ledger::admits(s, {U, 0}, {}), errc::ok) << "an upload already open may still grow";
  EXPECT_EQ(quota_ledger::admits(s, {U, 1}, {}), errc::too_many_files);
  s.max_files = 0;
  EXPECT_EQ(quota_ledger::admits(s, {U, 1'000'000}, {}), errc::ok) << "0 = unlimited";
  s.limit = 10 * U;
  s.used = 10 * U;
  EXPECT_EQ(quota_ledger::admits(s, {U, 1}, {}), errc::quota_exceeded);
  s.max_files = 20;
  EXPECT_EQ(quota_ledger::admits(s, {U, 1}, {}), errc::too_many_files)
      << "past both limits, the file count is named";
}

TEST(QuotaLedger, ChargeAndApplyKeepNamesAndBytes) {
  local_quota_ledger q;
  setup(q, 0, 100 * U, 0, 3);
  EXPECT_EQ(q.charge({U, 1}, {}), errc::ok);
  EXPECT_EQ(q.charge({U, 1}, {}), errc::ok);
  EXPECT_EQ(q.charge({U, 1}, {}), errc::ok);
  EXPECT_EQ(q.charge({U, 1}, {}), errc::too_many_files);
  EXPECT_EQ(q.get().files, 3u);
  EXPECT_EQ(q.get().used, 3 * U) << "a refused charge takes nothing";
  // An estimate settled to what was measured: the directory grew a block.
  q.apply({.added = {2 * U, 1}, .removed = {U, 1}});
  EXPECT_EQ(q.get().used, 4 * U);
  EXPECT_EQ(q.get().files, 3u);
  // rm gives back a name and its charge.
  q.apply({.added = {}, .removed = {U, 1}});
  EXPECT_EQ(q.charge({U, 1}, {}), errc::ok) << "room for one name again";
  EXPECT_EQ(q.get().files, 3u);
}

TEST(QuotaLedger, ApplyIgnoresTheLimits) {
  local_quota_ledger q;
  setup(q, 100, 100, 5, 5);
  q.apply({.added = {U, 1}, .removed = {}});  // it happened (mv grew a directory)
  EXPECT_EQ(q.get().used, 100 + U);
  EXPECT_EQ(q.get().files, 6u);
}

TEST(QuotaLedger, ConcurrentChargesNeverPassMaxFiles) {
  local_quota_ledger q;
  setup(q, 0, 0, 0, 500);
  std::vector<std::thread> ts;
  std::atomic<int> granted{0};
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&] {
      for (int k = 0; k < 100; ++k)
        if (q.charge({U, 1}, {}) == errc::ok) ++granted;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(granted.load(), 500);
  EXPECT_EQ(q.get().files, 500u);
}

}  // namespace
