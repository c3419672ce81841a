// The openat2 jail against a real temporary directory tree: escapes through
// "..", absolute symlinks, relative symlinks and renames all stay inside.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/disk_charge.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using ferry::errc;
using ferry::vfs::jail;

class Jail : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = ferry::test::fresh_test_dir("jail");
    fs::create_directories(base_ / "home" / "sub");
    fs::create_directories(base_ / "outside");
    std::ofstream(base_ / "outside" / "secret") << "secret";
    std::ofstream(base_ / "home" / "file") << "12345";
    fs::create_symlink("/", base_ / "home" / "to_root");
    fs::create_symlink("/etc/passwd", base_ / "home" / "to_passwd");
    fs::create_symlink("../../outside", base_ / "home" / "sub" / "up");
    int err = 0;
    auto j = jail::open(base_ / "home", err);
    ASSERT_TRUE(j) << err;
    j_.emplace(std::move(*j));
  }
  void TearDown() override { fs::remove_all(base_); }

  fs::path base_;
  std::optional<jail> j_;
};

TEST_F(Jail, SymlinkToRootResolvesToHome) {
  std::vector<ferry::vfs::dir_entry> entries;
  ASSERT_EQ(j_->list("/to_root", entries), errc::ok);
  std::vector<std::string> names;
  for (auto& e : entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"file", "sub", "to_passwd", "to_root"}));
}

TEST_F(Jail, SymlinksNeverReachOutside) {
  ferry::vfs::dir_entry e;
  EXPECT_EQ(j_->check_dir("/sub/up"), errc::not_found);
  EXPECT_EQ(j_->stat("/sub/up/secret", e), errc::not_found);
  EXPECT_EQ(j_->open_at("/to_passwd", O_RDONLY), -ENOENT);
  EXPECT_EQ(j_->open_at("/to_root/etc/passwd", O_RDONLY), -ENOENT);
}

TEST_F(Jail, StatDoesNotFollowLastLink) {
  ferry::vfs::dir_entry e;
  ASSERT_EQ(j_->stat("/to_root", e), errc::ok);
  EXPECT_EQ(e.type, ferry::vfs::file_type::link);
  ASSERT_EQ(j_->stat("/file", e), errc::ok);
  EXPECT_EQ(e.size, 5u);
  ASSERT_EQ(j_->stat("/", e), errc::ok);
  EXPECT_EQ(e.type, ferry::vfs::file_type::dir);
}

TEST_F(Jail, MkdirRmdirRm) {
  EXPECT_EQ(j_->make_dir("/a/b/c", false), errc::not_found);
  EXPECT_EQ(j_->make_dir("/a/b/c", true), errc::ok);
  EXPECT_TRUE(fs::is_directory(base_ / "home/a/b/c"));
  EXPECT_EQ(j_->make_dir("/a", false), errc::exists);
  EXPECT_EQ(j_->make_dir("/file/x", true), errc::not_directory);
  EXPECT_EQ(j_->remove_dir("/a"), errc::not_empty);
  EXPECT_EQ(j_->remove_file("/a"), errc::is_directory);
  EXPECT_EQ(j_->remove_dir("/file"), errc::not_directory);
  EXPECT_EQ(j_->remove_dir("/"), errc::forbidden);
  EXPECT_EQ(j_->remove_file("/file"), errc::ok);
  EXPECT_FALSE(fs::exists(base_ / "home/file"));
  // rm of a symlink removes the link, never its target.
  EXPECT_EQ(j_->remove_file("/to_passwd"), errc::ok);
  EXPECT_TRUE(fs::exists("/etc/passwd"));
}

TEST_F(Jail, MkdirThroughSymlinkStaysInside) {
  EXPECT_EQ(j_->make_dir("/to_root/made_here", false), errc::ok);
  EXPECT_TRUE(fs::is_directory(base_ / "home/made_here"));
  EXPECT_FALSE(fs::exists("/made_here"));
}

TEST_F(Jail, RenameStaysInside) {
  EXPECT_EQ(j_->rename("/file", "/sub"), errc::ok);  // into the directory
  EXPECT_TRUE(fs::exists(base_ / "home/sub/file"));
  EXPECT_EQ(j_->rename("/sub/file", "/sub/up/stolen"), errc::not_found);
  EXPECT_FALSE(fs::exists(base_ / "outside/stolen"));
  std::ofstream(base_ / "home" / "other") << "x";
  EXPECT_EQ(j_->rename("/other", "/sub/file"), errc::exists) << "no silent replace";
  EXPECT_EQ(j_->rename("/", "/x"), errc::forbidden);
}

TEST_F(Jail, ListHidesPartFilesAndUsageCountsThem) {
  std::ofstream(base_ / "home" / ".big.ferry-part") << std::string(100, 'x');
  std::vector<ferry::vfs::dir_entry> entries;
  ASSERT_EQ(j_->list("/", entries), errc::ok);
  for (auto& e : entries) EXPECT_NE(e.name, ".big.ferry-part");
  // Six names (links too; they are not followed), each a unit: "12345"
  // and the part file's 100 bytes each fit one.
  const ferry::vfs::usage six{6 * ferry::vfs::charge_unit, 6};
  EXPECT_EQ(j_->disk_usage(), six);
  EXPECT_EQ(j_->disk_usage(), six) << "a second walk sees the same tree";
}

TEST_F(Jail, ListOfAFileListsIt) {
  std::vector<ferry::vfs::dir_entry> entries;
  ASSERT_EQ(j_->list("/file", entries), errc::ok);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "file");
  EXPECT_EQ(j_->list("/nope", entries), errc::not_found);
}

// --- what the operations report keeps a ledger equal to the walk ------------------

namespace {

using ferry::vfs::charge_unit;
using ferry::vfs::usage;
using ferry::vfs::usage_change;

/// A ledger of the measured changes alone, started from a walk.
struct tally {
  usage u;
  void apply(const usage_change& c) {
    u.bytes = u.bytes + c.added.bytes - c.removed.bytes;
    u.files = u.files + c.added.files - c.removed.files;
  }
};

}  // namespace

TEST_F(Jail, MeasuredChangesFollowTheWalk) {
  tally t{j_->disk_usage()};
  usage_change c;
  ASSERT_EQ(j_->make_dir("/a/b/c", true, &c), errc::ok);
  EXPECT_EQ(c.added, (usage{3 * charge_unit, 3}));
  t.apply(c);
  EXPECT_EQ(t.u, j_->disk_usage());

  c = {};
  EXPECT_EQ(j_->make_dir("/a/b/c", false, &c), errc::exists);
  EXPECT_EQ(c.added, (usage{0, 0})) << "nothing made, nothing reported";

  // A directory grows past a block as long names are added to it (ext4:
  // ~19 entries of 200 bytes per 4 KiB block), is charged for it, and keeps
  // agreeing with the walk through moves and removals.
  const std::string long_name(200, 'n');
  for (int i = 0; i < 60; ++i) {
    c = {};
    ASSERT_EQ(j_->make_dir("/a/" + long_name + std::to_string(i), false, &c), errc::ok);
    t.apply(c);
  }
  EXPECT_EQ(t.u, j_->disk_usage());
  EXPECT_EQ(t.u.files, 5u + 3u + 60u);
  for (int i = 0; i < 60; i += 2) {
    c = {};
    ASSERT_EQ(j_->rename("/a/" + long_name + std::to_string(i), "/sub", &c), errc::ok);
    EXPECT_EQ(c.added.files + c.removed.files, 0u) << "a move adds and removes no name";
    t.apply(c);
  }
  EXPECT_EQ(t.u, j_->disk_usage());
  for (int i = 1; i < 60; i += 2) {
    c = {};
    ASSERT_EQ(j_->remove_dir("/a/" + long_name + std::to_string(i), &c), errc::ok);
    EXPECT_EQ(c.removed.files, 1u);
    t.apply(c);
  }
  EXPECT_EQ(t.u, j_->disk_usage());

  c = {};
  ASSERT_EQ(j_->rename("/file", "/a/b/file2", &c), errc::ok);
  t.apply(c);
  c = {};
  ASSERT_EQ(j_->remove_file("/a/b/file2", &c), errc::ok);
  EXPECT_EQ(c.removed, (usage{charge_unit, 1}));
  t.apply(c);
  c = {};
  ASSERT_EQ(j_->remove_file("/to_root", &c), errc::ok);  // a link: its name and a unit
  EXPECT_EQ(c.removed, (usage{charge_unit, 1}));
  t.apply(c);
  c = {};
  EXPECT_EQ(j_->remove_file("/missing", &c), errc::not_found);
  EXPECT_EQ(c.removed, (usage{0, 0}));
  EXPECT_EQ(t.u, j_->disk_usage());
}

TEST_F(Jail, HardLinksAreEachChargedAndEachGiveTheirChargeBack) {
  ferry::test::write(base_ / "home" / "big", std::string(10000, 'b'));
  fs::create_hard_link(base_ / "home" / "big", base_ / "home" / "sub" / "big2");
  tally t{j_->disk_usage()};
  usage_change c;
  ASSERT_EQ(j_->remove_file("/big", &c), errc::ok);
  EXPECT_EQ(c.removed, (usage{3 * charge_unit, 1}));
  t.apply(c);
  EXPECT_EQ(t.u, j_->disk_usage()) << "the other name is still charged, as the walk sees it";
}

TEST_F(Jail, MissingDirs) {
  EXPECT_EQ(j_->missing_dirs("/sub"), 0u);
  EXPECT_EQ(j_->missing_dirs("/sub/x"), 1u);
  EXPECT_EQ(j_->missing_dirs("/x/y/z"), 3u);
  EXPECT_EQ(j_->missing_dirs("/sub/x/y"), 2u);
  EXPECT_EQ(j_->missing_dirs("/"), 0u);
  EXPECT_EQ(j_->missing_dirs("/to_root/sub/n"), 1u) << "through a link inside the home";
}
