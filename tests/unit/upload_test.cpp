// Uploads against a real jailed directory: atomic replace, resume from the
// part file, checksum mismatch, one writer per path, quota reservation, and a
// symlink planted under the part name.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "transfer/digest.hpp"
#include "transfer/upload.hpp"
#include "vfs/jail.hpp"
#include "vfs/path_locks.hpp"
#include "vfs/quota_ledger.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using ferry::errc;
using ferry::transfer::upload;
using ferry::transfer::upload_request;

namespace {

using ferry::test::read;

std::string hex_of(const std::string& data, const char* algo = "xxh128") {
  auto d = ferry::transfer::digest::make(algo);
  d->update(data.data(), data.size());
  return d->hex();
}

class Upload : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = ferry::test::fresh_test_dir("upload");
    fs::create_directories(home_ / "d");
    int err = 0;
    auto j = ferry::vfs::jail::open(home_, err);
    ASSERT_TRUE(j) << err;
    jail_.emplace(std::move(*j));
    quota_.resync(0);
  }
  void TearDown() override { fs::remove_all(home_); }

  errc begin(const std::string& path, std::uint64_t size, std::unique_ptr<upload>& out,
             bool resume = true) {
    upload_request r;
    r.path = path;
    r.size = size;
    r.resume = resume;
    return upload::begin(*jail_, quota_, locks_, r, out);
  }

  fs::path home_;
  std::optional<ferry::vfs::jail> jail_;
  ferry::vfs::local_quota_ledger quota_;
  ferry::vfs::local_path_locks locks_;
};

TEST_F(Upload, CommitReplacesOnlyWhenVerified) {
  std::ofstream(home_ / "d" / "f") << "old";
  quota_.resync(3);
  const std::string data = "new contents";
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/d/f", data.size(), u), errc::ok);
  EXPECT_EQ(u->offset(), 0u);
  ASSERT_EQ(u->write(data.data(), 5), errc::ok);
  EXPECT_EQ(read(home_ / "d" / "f"), "old");  // readers still see the old file
  EXPECT_TRUE(fs::exists(home_ / "d" / ".f.ferry-part"));
  ASSERT_EQ(u->write(data.data() + 5, data.size() - 5), errc::ok);
  std::string actual;
  ASSERT_EQ(u->commit(hex_of(data), actual), errc::ok);
  EXPECT_EQ(actual, hex_of(data));
  EXPECT_EQ(read(home_ / "d" / "f"), data);
  EXPECT_FALSE(fs::exists(home_ / "d" / ".f.ferry-part"));
  // "old" (3 bytes) was replaced: usage is the new file only.
  EXPECT_EQ(quota_.get().used, data.size());
  EXPECT_EQ(quota_.get().reserved, 0u);
}

TEST_F(Upload, MismatchDeletesPartAndKeepsOld) {
  std::ofstream(home_ / "f") << "old";
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/f", 3, u), errc::ok);
  ASSERT_EQ(u->write("abc", 3), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(hex_of("abd"), actual), errc::checksum_mismatch);
  EXPECT_EQ(read(home_ / "f"), "old");
  EXPECT_FALSE(fs::exists(home_ / ".f.ferry-part"));
  EXPECT_EQ(quota_.get().used, 0u);
}

TEST_F(Upload, ResumeContinuesFromPartAndHashesWholeFile) {
  const std::string data = "0123456789abcdef";
  {
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin("/r", data.size(), u), errc::ok);
    ASSERT_EQ(u->write(data.data(), 6), errc::ok);
  }  // dropped: like a disconnect
  EXPECT_EQ(read(home_ / ".r.ferry-part"), data.substr(0, 6));
  EXPECT_EQ(quota_.get().reserved, 0u);
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/r", data.size(), u), errc::ok);
  EXPECT_EQ(u->offset(), 6u);
  ASSERT_EQ(u->write(data.data() + 6, data.size() - 6), errc::ok);
  std::string actual;
  ASSERT_EQ(u->commit(hex_of(data), actual), errc::ok);
  EXPECT_EQ(read(home_ / "r"), data);
}

TEST_F(Upload, NoResumeTruncatesPart) {
  std::ofstream(home_ / ".r.ferry-part") << "garbage";
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/r", 2, u, false), errc::ok);
  EXPECT_EQ(u->offset(), 0u);
  EXPECT_EQ(fs::file_size(home_ / ".r.ferry-part"), 0u);
}

TEST_F(Upload, PartLongerThanFileStartsOver) {
  std::ofstream(home_ / ".r.ferry-part") << "0123456789";
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/r", 4, u), errc::ok);
  EXPECT_EQ(u->offset(), 0u);
}

TEST_F(Upload, CountMismatchKeepsPartForResume) {
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/c", 10, u), errc::ok);
  ASSERT_EQ(u->write("12345", 5), errc::ok);
  std::string actual;
  // Its own code now, still "400 bad_request" on the wire.
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::size_mismatch);
  EXPECT_EQ(info(errc::size_mismatch).error, "bad_request");
  EXPECT_TRUE(fs::exists(home_ / ".c.ferry-part"));
  EXPECT_FALSE(fs::exists(home_ / "c"));
}

TEST_F(Upload, MoreThanAnnouncedIsRefused) {
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/c", 3, u), errc::ok);
  EXPECT_EQ(u->write("1234", 4), errc::size_mismatch);
  EXPECT_EQ(u->write("1", 1), errc::bad_request);  // dead after an error
}

TEST_F(Upload, OneWriterPerPathEvenThroughOtherSpellings) {
  fs::create_directory_symlink("d", home_ / "alias");
  std::unique_ptr<upload> a, b;
  ASSERT_EQ(begin("/d/x", 1, a), errc::ok);
  EXPECT_EQ(begin("/alias/x", 1, b), errc::busy);
  a.reset();  // released on destruction
  EXPECT_EQ(begin("/alias/x", 1, b), errc::ok);
}

TEST_F(Upload, QuotaReservedUpFront) {
  quota_.set_limit(100 + 2 * ferry::vfs::entry_charge);  // each part file is a name too
  std::unique_ptr<upload> a, b;
  ASSERT_EQ(begin("/a", 60, a), errc::ok);
  EXPECT_EQ(begin("/b", 60, b), errc::quota_exceeded);
  EXPECT_FALSE(fs::exists(home_ / ".b.ferry-part"));  // refused before any byte
  a.reset();
  EXPECT_EQ(begin("/b", 60, b), errc::ok);
}

TEST_F(Upload, ReplacingCountsAsCredit) {
  std::ofstream(home_ / "f") << std::string(80, 'x');
  quota_.resync(80);
  quota_.set_limit(100);
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/f", 90, u), errc::ok);  // 80 + 90 - 80 <= 100
}

TEST_F(Upload, TheCreditIsCheckedAgainAtCommit) {
  // mv X Z during the put of X: the replaced bytes no longer go away, so the
  // commit would leave the user over the limit.
  std::ofstream(home_ / "f") << std::string(80, 'x');
  quota_.resync(80);
  quota_.set_limit(100);
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/f", 90, u), errc::ok);
  const std::string data(90, 'y');
  ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
  fs::rename(home_ / "f", home_ / "z");
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::quota_exceeded);
  EXPECT_FALSE(fs::exists(home_ / "f")) << "nothing committed";
  EXPECT_FALSE(fs::exists(home_ / ".f.ferry-part")) << "the part is dropped, the user stays within the limit";
  EXPECT_EQ(quota_.get().used, 80u);
  EXPECT_EQ(quota_.get().reserved, 0u);
}

TEST_F(Upload, ACommitThatStillReplacesIsWithinTheLimit) {
  std::ofstream(home_ / "f") << std::string(80, 'x');
  quota_.resync(80);
  quota_.set_limit(100);
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/f", 90, u), errc::ok);
  const std::string data(90, 'y');
  ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::ok);
  EXPECT_EQ(quota_.get().used, 90u);
}

TEST_F(Upload, DirectoryTargetAndMissingParent) {
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/d", 1, u), errc::is_directory);
  EXPECT_EQ(begin("/", 1, u), errc::is_directory);
  EXPECT_EQ(begin("/nope/x", 1, u), errc::not_found);
}

TEST_F(Upload, SymlinkUnderPartNameIsNotFollowed) {
  fs::create_symlink("/tmp/ferry_should_not_exist", home_ / ".s.ferry-part");
  std::unique_ptr<upload> u;
  EXPECT_NE(begin("/s", 1, u), errc::ok);
  EXPECT_FALSE(fs::exists("/tmp/ferry_should_not_exist"));
}

TEST_F(Upload, UnknownSizeGrowsQuotaPerWrite) {
  quota_.set_limit(10 + ferry::vfs::entry_charge);
  upload_request r;
  r.path = "/ftp";
  std::unique_ptr<upload> u;
  ASSERT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::ok);
  EXPECT_EQ(u->write("12345678", 8), errc::ok);
  EXPECT_EQ(u->write("123", 3), errc::quota_exceeded);
}

// FTP APPE on an existing target (issue 11): the part is rebuilt from the
// target even when a stale one already holds as many bytes (it used to
// append to the stale part: AAAA + C gave BBBBC), and the ledger counts the
// part as it now is.
TEST_F(Upload, AppendSeedsFromTheTargetOverAStalePart) {
  std::ofstream(home_ / "n") << "AAAA";
  std::ofstream(home_ / ".n.ferry-part") << "BBBBBBBB";
  quota_.resync(4 + 8 + 2 * ferry::vfs::entry_charge);
  upload_request r;
  r.path = "/n";
  r.resume = true;
  r.seed_from_target = true;
  r.seed_always = true;
  r.offset = 4;
  std::unique_ptr<upload> u;
  ASSERT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::ok);
  EXPECT_EQ(u->offset(), 4u);
  EXPECT_EQ(quota_.get().used, 4 + 4 + 2 * ferry::vfs::entry_charge);
  ASSERT_EQ(u->write("C", 1), errc::ok);
  std::string actual;
  ASSERT_EQ(u->commit(std::nullopt, actual), errc::ok);
  EXPECT_EQ(read(home_ / "n"), "AAAAC");
  EXPECT_EQ(actual, hex_of("AAAAC"));
  EXPECT_EQ(quota_.get().used, 5 + ferry::vfs::entry_charge);
}

// REST n + STOR of a missing file (issue 11): refused, and the part file
// begin() created is gone again, its charge with it; a shorter part of an
// earlier upload is left as it was.
TEST_F(Upload, ASeedTheTargetCannotGiveLeavesNothing) {
  quota_.resync(0);
  upload_request r;
  r.path = "/missing";
  r.resume = true;
  r.seed_from_target = true;
  r.offset = 10;
  std::unique_ptr<upload> u;
  EXPECT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::offset_beyond_end);
  EXPECT_FALSE(fs::exists(home_ / ".missing.ferry-part"));
  EXPECT_EQ(quota_.get().used, 0u);
  EXPECT_EQ(quota_.get().reserved, 0u);

  std::ofstream(home_ / ".short.ferry-part") << "12345";
  quota_.resync(5 + ferry::vfs::entry_charge);
  r.path = "/short";
  EXPECT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::offset_beyond_end);
  EXPECT_EQ(read(home_ / ".short.ferry-part"), "12345");
  EXPECT_EQ(quota_.get().used, 5 + ferry::vfs::entry_charge);
}

}  // namespace
