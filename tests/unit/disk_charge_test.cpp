// The charging rule (vfs/disk_charge.hpp), table-driven: what a name costs
// by its kind, length and allocated blocks, and the arithmetic of usage
// changes.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <limits>

#include "vfs/disk_charge.hpp"

namespace {

using ferry::vfs::charge_of;
using ferry::vfs::charge_of_size;
using ferry::vfs::charge_unit;
using ferry::vfs::round_to_unit;
using ferry::vfs::usage;
using ferry::vfs::usage_change;

constexpr std::uint64_t KiB = 1024, MiB = 1024 * KiB;

TEST(DiskCharge, RegularFiles) {
  struct row {
    std::uint64_t size, blocks, expect;
    const char* why;
  };
  const row rows[] = {
      {0, 0, 4 * KiB, "an empty file still costs a unit (an inode, a name)"},
      {1, 8, 4 * KiB, "one byte in one 4 KiB block"},
      {1, 0, 4 * KiB, "inline data (no block) costs the same"},
      {4096, 8, 4 * KiB, "exactly one block"},
      {4097, 16, 8 * KiB, "one byte over: two blocks"},
      {4097, 0, 8 * KiB, "blocks not allocated yet: the length decides"},
      {MiB + 1, 2056, MiB + 4 * KiB, "1 MiB + 1"},
      {MiB + 1, 2064, MiB + 8 * KiB, "plus an extent block: the blocks decide"},
      {12345, 128, 64 * KiB, "a 64 KiB-block filesystem"},
      {100 * MiB, 0, 100 * MiB, "sparse: its length, a safe upper bound"},
      {3 * KiB, 7, 4 * KiB, "odd blocks round up"},
  };
  for (const auto& r : rows) EXPECT_EQ(charge_of(true, r.size, r.blocks), r.expect) << r.why;
}

TEST(DiskCharge, OtherNamesCostTheirBlocksOrAUnit) {
  EXPECT_EQ(charge_of(false, 4096, 8), 4 * KiB) << "a directory of one block";
  EXPECT_EQ(charge_of(false, 40960, 80), 40 * KiB) << "a directory grown to ten blocks";
  EXPECT_EQ(charge_of(false, 60, 0), 4 * KiB) << "tmpfs directories and fast symlinks have no block";
  EXPECT_EQ(charge_of(false, 1 << 30, 8), 4 * KiB) << "the size of a non-file does not count";
}

TEST(DiskCharge, FromStat) {
  struct stat st {};
  st.st_mode = S_IFREG | 0644;
  st.st_size = 4097;
  st.st_blocks = 16;
  EXPECT_EQ(charge_of(st), 8 * KiB);
  st.st_mode = S_IFLNK | 0777;
  EXPECT_EQ(charge_of(st), 8 * KiB) << "a slow symlink's block counts";
  st.st_blocks = 0;
  EXPECT_EQ(charge_of(st), 4 * KiB);
  st.st_mode = S_IFDIR | 0755;
  st.st_size = -1;  // never trusted as a length
  EXPECT_EQ(charge_of(st), 4 * KiB);
}

TEST(DiskCharge, UploadsCountTheirLengthRoundedUp) {
  EXPECT_EQ(charge_of_size(0), charge_unit);
  EXPECT_EQ(charge_of_size(1), charge_unit);
  EXPECT_EQ(charge_of_size(8192), 8 * KiB);
  EXPECT_EQ(charge_of_size(8193), 12 * KiB);
  // Never below what the file is charged once written on 4 KiB blocks.
  for (std::uint64_t n : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{4095}, std::uint64_t{4096}, std::uint64_t{4097}, MiB + 1})
    EXPECT_EQ(charge_of_size(n), charge_of(true, n, (n + 4095) / 4096 * 8)) << n;
}

TEST(DiskCharge, NeverOverflows) {
  const auto big = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(round_to_unit(big) % charge_unit, 0u);
  EXPECT_GE(round_to_unit(big), big - charge_unit);
  EXPECT_EQ(charge_of(true, big, big), round_to_unit(big));
  EXPECT_EQ(round_to_unit(0), 0u);
  EXPECT_EQ(round_to_unit(1), charge_unit);
}

TEST(DiskCharge, UsageChanges) {
  usage_change c;
  c.record(4096, 8192);  // a directory grew a block
  c.record(8192, 4096);  // another shrank one
  c.added += usage{4096, 1};
  EXPECT_EQ(c.added, (usage{8192, 1}));
  EXPECT_EQ(c.removed, (usage{4096, 0}));
  usage_change d;
  d.removed += usage{4096, 1};
  c += d;
  EXPECT_EQ(c.removed, (usage{8192, 1}));
}

}  // namespace
