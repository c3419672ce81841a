// Part files (".NAME.ferry-part") on a real jailed directory: open's refusals,
// create/write/size/truncate, the bytes a commit replaces, commit, discard,
// seeding from the target, a symlink planted at the part name, part_size(),
// and the jail's reserved-name rule that keeps user operations off part files.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "vfs/jail.hpp"
#include "vfs/part_file.hpp"
#include "vfs/path_locks.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/virtual_path.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using ferry::errc;
using ferry::vfs::dir_entry;
using ferry::vfs::jail;
using ferry::vfs::part_file;

namespace {

using ferry::test::read;

using ferry::test::write;

class PartFile : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = ferry::test::fresh_test_dir("part");
    home_ = base_ / "home";
    fs::create_directories(home_ / "d");
    fs::create_directories(base_ / "outside");
    int err = 0;
    auto j = jail::open(home_, err);
    ASSERT_TRUE(j) << err;
    j_.emplace(std::move(*j));
  }
  void TearDown() override { fs::remove_all(base_); }

  /// Opens and creates the part file of `path`.
  void open_created(const std::string& path, part_file& p) {
    ASSERT_EQ(part_file::open(*j_, path, p), errc::ok);
    ASSERT_EQ(p.create(), errc::ok);
  }

  errc write_str(part_file& p, const std::string& data, std::uint64_t off) {
    std::size_t done = 0;
    const auto e = p.write_at(data.data(), data.size(), off, done);
    if (e == errc::ok) {
      EXPECT_EQ(done, data.size());
    }
    return e;
  }

  fs::path base_;
  fs::path home_;
  std::optional<jail> j_;
};

// --- part_file::open --------------------------------------------------------

TEST_F(PartFile, OpenRefusesATargetThatIsItselfAPartName) {
  part_file p;
  EXPECT_EQ(part_file::open(*j_, "/.x.ferry-part", p), errc::reserved_name);
  EXPECT_EQ(part_file::open(*j_, "/d/.x.ferry-part", p), errc::reserved_name);
  EXPECT_EQ(part_file::open(*j_, "/x.ferry-part", p), errc::ok) << "no leading dot: an ordinary name";
}

TEST_F(PartFile, OpenOfRootIsADirectory) {
  part_file p;
  EXPECT_EQ(part_file::open(*j_, "/", p), errc::is_directory);
}

TEST_F(PartFile, OpenWithAMissingParentIsNotFound) {
  part_file p;
  EXPECT_EQ(part_file::open(*j_, "/nope/file", p), errc::not_found);
}

TEST_F(PartFile, NamesUpTo255BytesHaveAPartFile) {
  // ".NAME.ferry-part" adds 12 bytes: a 243-byte leaf just fits as is; longer
  // ones get ".PREFIX~HASH.ferry-part", still within 255 bytes.
  const std::string fits(243, 'a');
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/" + fits, p), errc::ok);
  EXPECT_EQ(p.create(), errc::ok);
  EXPECT_TRUE(fs::is_regular_file(home_ / ("." + fits + ".ferry-part")));
  std::vector<std::string> parts;
  for (const std::string& name : {std::string(244, 'b'), std::string(255, 'b'), std::string(254, 'b') + "c"}) {
    const std::string part = ferry::vfs::part_name(name);
    EXPECT_LE(part.size(), 255u) << name.size();
    EXPECT_TRUE(ferry::vfs::is_part_file(part)) << part;
    parts.push_back(part);
    part_file q;
    ASSERT_EQ(part_file::open(*j_, "/" + name, q), errc::ok) << name.size();
    EXPECT_EQ(q.create(), errc::ok);
    EXPECT_TRUE(fs::is_regular_file(home_ / part));
  }
  EXPECT_NE(parts[1], parts[2]) << "names sharing their first 226 bytes get different parts";
  // The cut never splits a UTF-8 character ("é" is 2 bytes).
  std::string accented;
  while (accented.size() < 250) accented += "\xc3\xa9";
  const std::string part = ferry::vfs::part_name(accented);
  const std::string prefix = part.substr(1, part.find('~') - 1);
  EXPECT_EQ(prefix.size() % 2, 0u) << part;
  EXPECT_EQ(prefix, accented.substr(0, prefix.size()));
}

// --- create, write_at, size, truncate ---------------------------------------

TEST_F(PartFile, CreateMakesThePartBesideTheTarget) {
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/d/report.txt", p), errc::ok);
  EXPECT_FALSE(fs::exists(home_ / "d" / ".report.txt.ferry-part")) << "open creates nothing";
  ASSERT_EQ(p.create(), errc::ok);
  EXPECT_TRUE(fs::is_regular_file(home_ / "d" / ".report.txt.ferry-part"));
  EXPECT_FALSE(fs::exists(home_ / "d" / "report.txt")) << "the target appears only on commit";
  EXPECT_GE(p.fd(), 0);
  std::uint64_t n = 99;
  ASSERT_EQ(p.size(n), errc::ok);
  EXPECT_EQ(n, 0u);
}

TEST_F(PartFile, CreateOpensAnExistingPartWithoutTruncating) {
  write(home_ / ".f.ferry-part", "earlier");
  part_file p;
  open_created("/f", p);
  std::uint64_t n = 0;
  ASSERT_EQ(p.size(n), errc::ok);
  EXPECT_EQ(n, 7u);
  EXPECT_EQ(read(home_ / ".f.ferry-part"), "earlier");
}

TEST_F(PartFile, WriteAtSizeAndTruncate) {
  part_file p;
  open_created("/f", p);
  EXPECT_EQ(write_str(p, "hello", 0), errc::ok);
  EXPECT_EQ(write_str(p, "XY", 10), errc::ok);
  std::uint64_t n = 0;
  ASSERT_EQ(p.size(n), errc::ok);
  EXPECT_EQ(n, 12u);
  EXPECT_EQ(read(home_ / ".f.ferry-part"), std::string("hello\0\0\0\0\0XY", 12));
  EXPECT_EQ(write_str(p, "J", 0), errc::ok) << "overwrite in place";
  ASSERT_EQ(p.truncate(3), errc::ok);
  ASSERT_EQ(p.size(n), errc::ok);
  EXPECT_EQ(n, 3u);
  EXPECT_EQ(read(home_ / ".f.ferry-part"), "Jel");
  ASSERT_EQ(p.truncate(0), errc::ok);
  ASSERT_EQ(p.size(n), errc::ok);
  EXPECT_EQ(n, 0u);
}

// --- replaced --------------------------------------------------------------------
// What a commit takes away: the name at the target and its charge
// (vfs/disk_charge.hpp), whatever kind of name it is.

using ferry::vfs::charge_unit;
using ferry::vfs::usage;

TEST_F(PartFile, ReplacedOfAMissingTargetIsNothing) {
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/missing", p), errc::ok);
  usage u{99, 99};
  EXPECT_EQ(p.replaced(u), errc::ok);
  EXPECT_EQ(u, (usage{0, 0}));
}

TEST_F(PartFile, ReplacedOfAFileIsItsNameAndCharge) {
  write(home_ / "five", "12345");
  write(home_ / "big", std::string(4097, 'x'));
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/five", p), errc::ok);
  usage u;
  EXPECT_EQ(p.replaced(u), errc::ok);
  EXPECT_EQ(u, (usage{charge_unit, 1}));
  ASSERT_EQ(part_file::open(*j_, "/big", p), errc::ok);
  EXPECT_EQ(p.replaced(u), errc::ok);
  EXPECT_EQ(u, (usage{2 * charge_unit, 1}));
}

TEST_F(PartFile, ReplacedOfADirectoryIsAnError) {
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/d", p), errc::ok);
  usage u;
  EXPECT_EQ(p.replaced(u), errc::is_directory);
}

TEST_F(PartFile, ReplacedOfAHardLinkedFileIsItsWholeCharge) {
  // Every name is charged on its own (the walk counts both), so the name
  // that goes takes its whole charge with it.
  write(home_ / "linked", std::string(5000, 'l'));
  fs::create_hard_link(home_ / "linked", home_ / "d" / "other_name");
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/linked", p), errc::ok);
  usage u;
  EXPECT_EQ(p.replaced(u), errc::ok);
  EXPECT_EQ(u, (usage{2 * charge_unit, 1}));
}

TEST_F(PartFile, ReplacedOfASymlinkIsOneUnit) {
  write(home_ / "real", std::string(9000, 'r'));
  fs::create_symlink("real", home_ / "link");
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/link", p), errc::ok);
  usage u;
  EXPECT_EQ(p.replaced(u), errc::ok);
  EXPECT_EQ(u, (usage{charge_unit, 1})) << "the link, not what it points to";
}

// --- commit and discard --------------------------------------------------------

TEST_F(PartFile, CommitRenamesThePartOverTheTarget) {
  write(home_ / "d" / "t", "old content");
  part_file p;
  open_created("/d/t", p);
  ASSERT_EQ(write_str(p, "new", 0), errc::ok);
  ASSERT_EQ(p.commit(), errc::ok);
  EXPECT_EQ(read(home_ / "d" / "t"), "new");
  EXPECT_FALSE(fs::exists(home_ / "d" / ".t.ferry-part"));
}

TEST_F(PartFile, CreateAndCommitReportWhatTheyChanged) {
  write(home_ / "d" / "t", std::string(5000, 'o'));
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/d/t", p), errc::ok);
  EXPECT_FALSE(p.exists());
  ferry::vfs::usage_change made;
  ASSERT_EQ(p.create(&made), errc::ok);
  EXPECT_TRUE(p.exists() && p.created());
  // A new empty file: one unit and one name ("d" has room for the name).
  EXPECT_EQ(made.added, (usage{charge_unit, 1}));
  EXPECT_EQ(made.removed, (usage{0, 0}));

  part_file again;
  ASSERT_EQ(part_file::open(*j_, "/d/t", again), errc::ok);
  ferry::vfs::usage_change none;
  ASSERT_EQ(again.create(&none), errc::ok);
  EXPECT_FALSE(again.created());
  EXPECT_EQ(none.added, (usage{0, 0})) << "an existing part is no new name";

  ASSERT_EQ(write_str(p, "n", 0), errc::ok);
  ferry::vfs::usage_change done;
  ASSERT_EQ(p.commit(&done), errc::ok);
  EXPECT_EQ(done.removed, (usage{2 * charge_unit, 1})) << "the 5000-byte target's name and charge";
  EXPECT_EQ(done.added, (usage{0, 0}));
  EXPECT_EQ(read(home_ / "d" / "t"), "n");
}

TEST_F(PartFile, CommitCreatesAMissingTarget) {
  part_file p;
  open_created("/fresh", p);
  ASSERT_EQ(write_str(p, "data", 0), errc::ok);
  ASSERT_EQ(p.commit(), errc::ok);
  EXPECT_EQ(read(home_ / "fresh"), "data");
  EXPECT_FALSE(fs::exists(home_ / ".fresh.ferry-part"));
}

TEST_F(PartFile, DiscardRemovesThePartAndReportsItsCharge) {
  write(home_ / "t", "kept");
  part_file p;
  open_created("/t", p);
  ASSERT_EQ(write_str(p, std::string(4097, 'z'), 0), errc::ok);
  EXPECT_EQ(p.charge(), 2 * charge_unit);
  ferry::vfs::usage_change gone;
  p.discard(&gone);
  EXPECT_EQ(gone.removed, (usage{2 * charge_unit, 1})) << "its charge and its name";
  EXPECT_FALSE(fs::exists(home_ / ".t.ferry-part"));
  ferry::vfs::usage_change again;
  p.discard(&again);
  EXPECT_EQ(again.removed, (usage{0, 0})) << "nothing left to give back";
  EXPECT_EQ(read(home_ / "t"), "kept") << "the target is untouched";
}

// --- seed_from_target ----------------------------------------------------------

TEST_F(PartFile, SeedFromTargetCopiesItsFirstBytes) {
  write(home_ / "t", "0123456789");
  part_file p;
  open_created("/t", p);
  ASSERT_EQ(write_str(p, "stale bytes that are longer", 0), errc::ok);
  ASSERT_EQ(p.seed_from_target(4), errc::ok);
  EXPECT_EQ(read(home_ / ".t.ferry-part"), "0123") << "replaces, not overlays, the part's content";
  ASSERT_EQ(p.seed_from_target(10), errc::ok);
  EXPECT_EQ(read(home_ / ".t.ferry-part"), "0123456789");
  ASSERT_EQ(p.seed_from_target(0), errc::ok);
  EXPECT_EQ(read(home_ / ".t.ferry-part"), "");
  EXPECT_EQ(read(home_ / "t"), "0123456789") << "the target is only read";
}

TEST_F(PartFile, SeedBeyondTheTargetIsOffsetBeyondEnd) {
  write(home_ / "t", "0123456789");
  part_file p;
  open_created("/t", p);
  ASSERT_EQ(write_str(p, "ab", 0), errc::ok);
  EXPECT_EQ(p.seed_from_target(11), errc::offset_beyond_end);
  EXPECT_EQ(read(home_ / ".t.ferry-part"), "ab") << "a refused seed leaves the part alone";
}

TEST_F(PartFile, SeedWithoutARegularTargetIsOffsetBeyondEnd) {
  part_file missing;
  open_created("/missing", missing);
  EXPECT_EQ(missing.seed_from_target(0), errc::offset_beyond_end);
  part_file dir;
  open_created("/d", dir);
  EXPECT_EQ(dir.seed_from_target(0), errc::offset_beyond_end);
  // A symlink target is not followed, even to a regular file inside the jail.
  write(home_ / "real", "0123456789");
  fs::create_symlink("real", home_ / "link");
  part_file link;
  open_created("/link", link);
  EXPECT_EQ(link.seed_from_target(4), errc::offset_beyond_end);
}

// --- things planted at the part name -------------------------------------------

TEST_F(PartFile, SymlinkAtThePartNameMakesCreateFail) {
  const fs::path victim = base_ / "outside" / "victim";
  write(victim, "untouched");
  fs::create_symlink(victim, home_ / ".f.ferry-part");
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/f", p), errc::ok);
  EXPECT_NE(p.create(), errc::ok);
  EXPECT_EQ(read(victim), "untouched");
  EXPECT_TRUE(fs::is_symlink(home_ / ".f.ferry-part"));
  EXPECT_FALSE(fs::exists(home_ / "f"));
}

TEST_F(PartFile, SymlinkAtThePartNameToAMissingFileCreatesNothing) {
  const fs::path victim = base_ / "outside" / "created";
  fs::create_symlink(victim, home_ / ".f.ferry-part");
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/f", p), errc::ok);
  EXPECT_NE(p.create(), errc::ok);
  EXPECT_FALSE(fs::exists(victim)) << "O_CREAT must not follow a dangling link";
}

TEST_F(PartFile, FifoAtThePartNameIsForbidden) {
  ASSERT_EQ(::mkfifo((home_ / ".f.ferry-part").c_str(), 0600), 0) << errno;
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/f", p), errc::ok);
  EXPECT_EQ(p.create(), errc::forbidden);
}

TEST_F(PartFile, DirectoryAtThePartNameMakesCreateFail) {
  fs::create_directory(home_ / ".f.ferry-part");
  part_file p;
  ASSERT_EQ(part_file::open(*j_, "/f", p), errc::ok);
  EXPECT_NE(p.create(), errc::ok);
  EXPECT_TRUE(fs::is_directory(home_ / ".f.ferry-part"));
}

// --- lock_key ----------------------------------------------------------------

TEST_F(PartFile, LockKeyIsTheSameForTwoSpellingsOfOneFile) {
  fs::create_symlink("d", home_ / "d_link");
  part_file direct, via_link, other;
  ASSERT_EQ(part_file::open(*j_, "/d/f", direct), errc::ok);
  ASSERT_EQ(part_file::open(*j_, "/d_link/f", via_link), errc::ok);
  ASSERT_EQ(part_file::open(*j_, "/f", other), errc::ok);
  ferry::vfs::path_key a, b, c;
  ASSERT_EQ(direct.lock_key(a), errc::ok);
  ASSERT_EQ(via_link.lock_key(b), errc::ok);
  ASSERT_EQ(other.lock_key(c), errc::ok);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.leaf, "f");
  EXPECT_NE(a, c) << "same leaf, different directory";
}

// --- part_size -------------------------------------------------------------------

TEST_F(PartFile, PartSizeReportsAnExistingPart) {
  write(home_ / "d" / ".t.ferry-part", "1234567");
  std::uint64_t n = 0;
  ASSERT_EQ(ferry::vfs::part_size(*j_, "/d/t", n), errc::ok);
  EXPECT_EQ(n, 7u);
}

TEST_F(PartFile, PartSizeWithoutAPartIsNotFound) {
  write(home_ / "t", "target only");
  std::uint64_t n = 0;
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/t", n), errc::not_found);
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/missing", n), errc::not_found);
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/nope/t", n), errc::not_found);
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/", n), errc::not_found);
  write(home_ / ".x.ferry-part", "abc");
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/.x.ferry-part", n), errc::not_found)
      << "a part name has no part file of its own";
  fs::create_directory(home_ / ".dir.ferry-part");
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/dir", n), errc::not_found) << "only a regular file counts";
}

TEST_F(PartFile, PartSizeFollowsAnUploadInProgress) {
  part_file p;
  open_created("/d/t", p);
  ASSERT_EQ(write_str(p, "abc", 0), errc::ok);
  std::uint64_t n = 0;
  ASSERT_EQ(ferry::vfs::part_size(*j_, "/d/t", n), errc::ok);
  EXPECT_EQ(n, 3u);
  ASSERT_EQ(p.commit(), errc::ok);
  EXPECT_EQ(ferry::vfs::part_size(*j_, "/d/t", n), errc::not_found);
}

// --- the jail's reserved-name rule ------------------------------------------------

class JailReservedName : public PartFile {
 protected:
  void SetUp() override {
    PartFile::SetUp();
    write(home_ / ".x.ferry-part", "partial");
    write(home_ / "d" / ".y.ferry-part", "partial too");
    write(home_ / "d" / "visible", "v");
    write(home_ / "file", "f");
  }
};

TEST_F(JailReservedName, StatIsRefused) {
  dir_entry e;
  EXPECT_EQ(j_->stat("/.x.ferry-part", e), errc::reserved_name);
  EXPECT_EQ(j_->stat("/d/.y.ferry-part", e), errc::reserved_name);
  EXPECT_EQ(j_->stat("/.absent.ferry-part", e), errc::reserved_name);
}

TEST_F(JailReservedName, ListOfAPartNameIsRefused) {
  std::vector<dir_entry> entries;
  EXPECT_EQ(j_->list("/.x.ferry-part", entries), errc::reserved_name);
  EXPECT_TRUE(entries.empty());
}

TEST_F(JailReservedName, ListOfADirectoryHidesPartFiles) {
  std::vector<dir_entry> entries;
  ASSERT_EQ(j_->list("/", entries), errc::ok);
  std::vector<std::string> names;
  for (auto& e : entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"d", "file"}));
  ASSERT_EQ(j_->list("/d", entries), errc::ok);
  names.clear();
  for (auto& e : entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"visible"}));
}

TEST_F(JailReservedName, MakeDirIsRefused) {
  EXPECT_EQ(j_->make_dir("/.new.ferry-part", false), errc::reserved_name);
  EXPECT_EQ(j_->make_dir("/.new.ferry-part", true), errc::reserved_name);
  EXPECT_EQ(j_->make_dir("/a/.new.ferry-part/b", true), errc::reserved_name);
  EXPECT_FALSE(fs::exists(home_ / ".new.ferry-part"));
  EXPECT_FALSE(fs::exists(home_ / "a" / ".new.ferry-part"));
}

TEST_F(JailReservedName, RemoveDirIsRefused) {
  fs::create_directory(home_ / ".dir.ferry-part");
  EXPECT_EQ(j_->remove_dir("/.dir.ferry-part"), errc::reserved_name);
  EXPECT_TRUE(fs::is_directory(home_ / ".dir.ferry-part"));
}

TEST_F(JailReservedName, RenameFromOrToAPartNameIsRefused) {
  EXPECT_EQ(j_->rename("/.x.ferry-part", "/stolen"), errc::reserved_name);
  EXPECT_EQ(j_->rename("/.x.ferry-part", "/d"), errc::reserved_name) << "nor into a directory";
  EXPECT_EQ(j_->rename("/file", "/.z.ferry-part"), errc::reserved_name);
  EXPECT_EQ(j_->rename("/file", "/d/.z.ferry-part"), errc::reserved_name);
  EXPECT_EQ(read(home_ / ".x.ferry-part"), "partial");
  EXPECT_EQ(read(home_ / "file"), "f");
  EXPECT_FALSE(fs::exists(home_ / "stolen"));
  EXPECT_FALSE(fs::exists(home_ / "d" / ".x.ferry-part"));
  EXPECT_FALSE(fs::exists(home_ / ".z.ferry-part"));
}

TEST_F(JailReservedName, CheckDirActsAsIfAbsent) {
  fs::create_directory(home_ / ".dir.ferry-part");
  EXPECT_EQ(j_->check_dir("/.dir.ferry-part"), errc::not_found);
  EXPECT_EQ(j_->check_dir("/.x.ferry-part"), errc::not_found);
}

TEST_F(JailReservedName, OpenAtActsAsIfAbsent) {
  EXPECT_EQ(j_->open_at("/.x.ferry-part", O_RDONLY), -ENOENT);
  EXPECT_EQ(j_->open_at("/d/.y.ferry-part", O_RDWR), -ENOENT);
  EXPECT_EQ(j_->open_at("/.new.ferry-part", O_WRONLY | O_CREAT, 0644), -ENOENT);
  EXPECT_FALSE(fs::exists(home_ / ".new.ferry-part")) << "O_CREAT creates nothing";
  EXPECT_EQ(read(home_ / ".x.ferry-part"), "partial");
}

TEST_F(JailReservedName, RemoveFileOfAPartFileIsRefused) {
  // Deleting a live upload's part would free its bytes twice in the ledger.
  ferry::vfs::usage_change freed;
  EXPECT_EQ(j_->remove_file("/d/.y.ferry-part", &freed), errc::reserved_name);
  EXPECT_TRUE(fs::exists(home_ / "d" / ".y.ferry-part"));
  EXPECT_EQ(freed.removed, (ferry::vfs::usage{0, 0}));
}

TEST_F(JailReservedName, NoOperationReachesThroughAPartNamedDirectory) {
  // Made behind the server's back: a directory named like a part file.
  fs::create_directories(home_ / ".p.ferry-part");
  write(home_ / ".p.ferry-part" / "inner", "secret");
  std::vector<dir_entry> entries;
  EXPECT_EQ(j_->list("/.p.ferry-part", entries), errc::reserved_name);
  dir_entry e;
  EXPECT_EQ(j_->stat("/.p.ferry-part/inner", e), errc::reserved_name);
  EXPECT_EQ(j_->open_at("/.p.ferry-part/inner", O_RDONLY), -ENOENT);
  EXPECT_EQ(j_->remove_file("/.p.ferry-part/inner"), errc::reserved_name);
  EXPECT_EQ(j_->make_dir("/.p.ferry-part/sub", false), errc::reserved_name);
  EXPECT_EQ(j_->rename("/.p.ferry-part/inner", "/out"), errc::reserved_name);
  part_file p;
  EXPECT_EQ(part_file::open(*j_, "/.p.ferry-part/inner", p), errc::reserved_name);
  EXPECT_EQ(read(home_ / ".p.ferry-part" / "inner"), "secret");
}

}  // namespace
