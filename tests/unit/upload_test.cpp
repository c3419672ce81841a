// Uploads against a real jailed directory: atomic replace, resume from the
// part file, checksum mismatch, one writer per path, quota reservation and
// the file-count limit, and a symlink planted under the part name. After
// every test the ledger must say what a walk of the home measures
// (vfs/disk_charge.hpp), whatever the upload went through.
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
using ferry::vfs::usage;
constexpr std::uint64_t U = ferry::vfs::charge_unit;

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
    resync();
  }
  void TearDown() override {
    // Every upload of the test has ended: nothing reserved, and the ledger
    // is where a fresh walk of the home is.
    EXPECT_EQ(quota_.get().reserved, 0u);
    EXPECT_EQ(used(), jail_->disk_usage()) << "the ledger drifted from the disk";
    fs::remove_all(home_);
  }

  /// The ledger measures the home (files written by the test behind its back).
  void resync() { quota_.resync(jail_->disk_usage()); }
  usage used() const { return {quota_.get().used, quota_.get().files}; }

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
  resync();
  const std::string data(5000, 'n');
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/d/f", data.size(), u), errc::ok);
  EXPECT_EQ(u->offset(), 0u);
  EXPECT_EQ(used(), (usage{3 * U, 3})) << "d, f and the new part file";
  EXPECT_EQ(quota_.get().reserved, U) << "5000 bytes are two units; the part has one";
  ASSERT_EQ(u->write(data.data(), 5), errc::ok);
  EXPECT_EQ(read(home_ / "d" / "f"), "old");  // readers still see the old file
  EXPECT_TRUE(fs::exists(home_ / "d" / ".f.ferry-part"));
  ASSERT_EQ(u->write(data.data() + 5, data.size() - 5), errc::ok);
  EXPECT_EQ(used(), (usage{4 * U, 3}));
  EXPECT_EQ(quota_.get().reserved, 0u);
  std::string actual;
  ASSERT_EQ(u->commit(hex_of(data), actual), errc::ok);
  EXPECT_EQ(actual, hex_of(data));
  EXPECT_EQ(read(home_ / "d" / "f"), data);
  EXPECT_FALSE(fs::exists(home_ / "d" / ".f.ferry-part"));
  // "old" (one unit) was replaced: d and the new file's two units remain,
  // and whatever its cached digest takes (a block on ext4 with 256-byte
  // inodes, nothing on tmpfs).
  EXPECT_EQ(used().files, 2u);
  EXPECT_GE(used().bytes, 3 * U);
  EXPECT_EQ(used(), jail_->disk_usage());
}

TEST_F(Upload, MismatchDeletesPartAndKeepsOld) {
  std::ofstream(home_ / "f") << "old";
  resync();
  const usage before = used();
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/f", 3, u), errc::ok);
  ASSERT_EQ(u->write("abc", 3), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(hex_of("abd"), actual), errc::checksum_mismatch);
  EXPECT_EQ(read(home_ / "f"), "old");
  EXPECT_FALSE(fs::exists(home_ / ".f.ferry-part"));
  EXPECT_EQ(used(), before);
}

TEST_F(Upload, ResumeContinuesFromPartAndHashesWholeFile) {
  const std::string data(3 * 4096 + 17, 'r');
  {
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin("/r", data.size(), u), errc::ok);
    ASSERT_EQ(u->write(data.data(), 4097), errc::ok);
  }  // dropped: like a disconnect
  EXPECT_EQ(read(home_ / ".r.ferry-part"), data.substr(0, 4097));
  EXPECT_EQ(quota_.get().reserved, 0u);
  EXPECT_EQ(used(), jail_->disk_usage()) << "the kept part is charged as it is";
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/r", data.size(), u), errc::ok);
  EXPECT_EQ(u->offset(), 4097u);
  EXPECT_EQ(quota_.get().reserved, 2 * U) << "four units in all, two already charged";
  ASSERT_EQ(u->write(data.data() + 4097, data.size() - 4097), errc::ok);
  std::string actual;
  ASSERT_EQ(u->commit(hex_of(data), actual), errc::ok);
  EXPECT_EQ(read(home_ / "r"), data);
}

TEST_F(Upload, NoResumeTruncatesPart) {
  std::ofstream(home_ / ".r.ferry-part") << std::string(9000, 'g');
  resync();
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/r", 2, u, false), errc::ok);
  EXPECT_EQ(u->offset(), 0u);
  EXPECT_EQ(fs::file_size(home_ / ".r.ferry-part"), 0u);
  EXPECT_EQ(used(), jail_->disk_usage()) << "the truncation gave its units back";
}

TEST_F(Upload, PartLongerThanFileStartsOver) {
  std::ofstream(home_ / ".r.ferry-part") << "0123456789";
  resync();
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
  resync();
  std::unique_ptr<upload> a, b;
  ASSERT_EQ(begin("/d/x", 1, a), errc::ok);
  EXPECT_EQ(begin("/alias/x", 1, b), errc::busy);
  a.reset();  // released on destruction
  EXPECT_EQ(begin("/alias/x", 1, b), errc::ok);
}

TEST_F(Upload, QuotaReservedUpFront) {
  // d, and two uploads of 60,000 bytes (15 units each, the part file's
  // first unit included): one unit short.
  quota_.set_limits(U + 2 * 15 * U - U, 0);
  std::unique_ptr<upload> a, b;
  ASSERT_EQ(begin("/a", 60'000, a), errc::ok);
  EXPECT_EQ(begin("/b", 60'000, b), errc::quota_exceeded);
  EXPECT_FALSE(fs::exists(home_ / ".b.ferry-part"));  // refused before any byte
  a.reset();  // its part stays, one unit
  EXPECT_EQ(begin("/b", 60'000, b), errc::ok);
}

TEST_F(Upload, ExactlyTheLimitFits) {
  quota_.set_limits(U + 10 * U, 0);
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/a", 10 * U + 1, u), errc::quota_exceeded);
  EXPECT_FALSE(fs::exists(home_ / ".a.ferry-part"));
  ASSERT_EQ(begin("/a", 10 * U, u), errc::ok);
  const std::string data(10 * U, 'x');
  ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::ok) << "a digest cache block is no reason to refuse";
  EXPECT_GE(quota_.get().used, quota_.get().limit);
  EXPECT_LE(quota_.get().used, quota_.get().limit + U);
}

TEST_F(Upload, ANewPartFileIsOneMoreFile) {
  std::ofstream(home_ / "old") << "o";
  resync();
  quota_.set_limits(0, 2);  // d and old
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/new", 1, u), errc::too_many_files);
  EXPECT_FALSE(fs::exists(home_ / ".new.ferry-part")) << "nothing is created";
  EXPECT_EQ(info(errc::too_many_files).status, 413);
  EXPECT_EQ(info(errc::too_many_files).error, "quota_exceeded");
  EXPECT_EQ(info(errc::too_many_files).ftp_code, 552);
  // Replacing a file adds no name: allowed at the limit.
  ASSERT_EQ(begin("/old", 1, u), errc::ok);
  ASSERT_EQ(u->write("n", 1), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::ok);
  EXPECT_EQ(quota_.get().files, 2u);
}

TEST_F(Upload, AKeptPartIsResumedAtTheLimit) {
  {
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin("/p", 10, u), errc::ok);
    ASSERT_EQ(u->write("12345", 5), errc::ok);
  }
  quota_.set_limits(0, 2);  // d and the part file
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/q", 10, u), errc::too_many_files) << "the part file counts";
  ASSERT_EQ(begin("/p", 10, u), errc::ok) << "its own part is no new name";
  EXPECT_EQ(u->offset(), 5u);
  ASSERT_EQ(u->write("67890", 5), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::ok);
}

TEST_F(Upload, ReplacingCountsAsCredit) {
  std::ofstream(home_ / "f") << std::string(20 * U, 'x');
  resync();
  quota_.set_limits(25 * U, 0);
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/f", 23 * U, u), errc::ok);  // d + f + part: 1 + 20 + 23 - 20 <= 25
}

TEST_F(Upload, TheCreditIsCheckedAgainAtCommit) {
  // mv X Z during the put of X: the replaced bytes no longer go away, so the
  // commit would leave the user over the limit.
  std::ofstream(home_ / "f") << std::string(20 * U, 'x');
  resync();
  quota_.set_limits(25 * U, 0);
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/f", 23 * U, u), errc::ok);
  const std::string data(23 * U, 'y');
  ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
  fs::rename(home_ / "f", home_ / "z");
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::quota_exceeded);
  EXPECT_FALSE(fs::exists(home_ / "f")) << "nothing committed";
  EXPECT_FALSE(fs::exists(home_ / ".f.ferry-part")) << "the part is dropped, the user stays within the limit";
  EXPECT_EQ(used(), (usage{21 * U, 2}));
}

TEST_F(Upload, ACommitThatStillReplacesIsWithinTheLimit) {
  std::ofstream(home_ / "f") << std::string(20 * U, 'x');
  resync();
  quota_.set_limits(25 * U, 0);
  std::unique_ptr<upload> u;
  ASSERT_EQ(begin("/f", 23 * U, u), errc::ok);
  const std::string data(23 * U, 'y');
  ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
  std::string actual;
  EXPECT_EQ(u->commit(std::nullopt, actual), errc::ok);
  EXPECT_EQ(used().files, 2u);
  EXPECT_GE(used().bytes, 24 * U);
}

TEST_F(Upload, DirectoryTargetAndMissingParent) {
  std::unique_ptr<upload> u;
  EXPECT_EQ(begin("/d", 1, u), errc::is_directory);
  EXPECT_EQ(begin("/", 1, u), errc::is_directory);
  EXPECT_EQ(begin("/nope/x", 1, u), errc::not_found);
}

TEST_F(Upload, SymlinkUnderPartNameIsNotFollowed) {
  fs::create_symlink("/tmp/ferry_should_not_exist", home_ / ".s.ferry-part");
  resync();
  std::unique_ptr<upload> u;
  EXPECT_NE(begin("/s", 1, u), errc::ok);
  EXPECT_FALSE(fs::exists("/tmp/ferry_should_not_exist"));
}

TEST_F(Upload, UnknownSizeGrowsQuotaPerWrite) {
  quota_.set_limits(U + 3 * U, 0);  // d, and the part may grow to 3 units
  upload_request r;
  r.path = "/ftp";
  std::unique_ptr<upload> u;
  ASSERT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::ok);
  const std::string chunk(U, 'c');
  EXPECT_EQ(u->write(chunk.data(), chunk.size()), errc::ok);
  EXPECT_EQ(u->write(chunk.data(), chunk.size()), errc::ok);
  EXPECT_EQ(u->write(chunk.data(), chunk.size()), errc::ok);
  EXPECT_EQ(used(), (usage{4 * U, 2}));
  EXPECT_EQ(u->write("1", 1), errc::quota_exceeded) << "the fourth unit";
}

// FTP APPE on an existing target (issue 11): the part is rebuilt from the
// target even when a stale one already holds as many bytes (it used to
// append to the stale part: AAAA + C gave BBBBC), and the ledger counts the
// part as it now is.
TEST_F(Upload, AppendSeedsFromTheTargetOverAStalePart) {
  std::ofstream(home_ / "n") << "AAAA";
  std::ofstream(home_ / ".n.ferry-part") << std::string(9000, 'B');
  resync();
  upload_request r;
  r.path = "/n";
  r.resume = true;
  r.seed_from_target = true;
  r.seed_always = true;
  r.offset = 4;
  std::unique_ptr<upload> u;
  ASSERT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::ok);
  EXPECT_EQ(u->offset(), 4u);
  EXPECT_EQ(used(), (usage{3 * U, 3})) << "the 9000-byte stale part became 4 bytes";
  ASSERT_EQ(u->write("C", 1), errc::ok);
  std::string actual;
  ASSERT_EQ(u->commit(std::nullopt, actual), errc::ok);
  EXPECT_EQ(read(home_ / "n"), "AAAAC");
  EXPECT_EQ(actual, hex_of("AAAAC"));
  EXPECT_EQ(used().files, 2u);
}

// REST n + STOR of a missing file (issue 11): refused, and the part file
// begin() created is gone again, its charge with it; a shorter part of an
// earlier upload is left as it was.
TEST_F(Upload, ASeedTheTargetCannotGiveLeavesNothing) {
  const usage empty = used();
  upload_request r;
  r.path = "/missing";
  r.resume = true;
  r.seed_from_target = true;
  r.offset = 10;
  std::unique_ptr<upload> u;
  EXPECT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::offset_beyond_end);
  EXPECT_FALSE(fs::exists(home_ / ".missing.ferry-part"));
  EXPECT_EQ(used(), empty);
  EXPECT_EQ(quota_.get().reserved, 0u);

  std::ofstream(home_ / ".short.ferry-part") << "12345";
  resync();
  const usage with_part = used();
  r.path = "/short";
  EXPECT_EQ(upload::begin(*jail_, quota_, locks_, r, u), errc::offset_beyond_end);
  EXPECT_EQ(read(home_ / ".short.ferry-part"), "12345");
  EXPECT_EQ(used(), with_part);
}

// The ledger stays where the walk is through a mixed sequence: odd sizes,
// replacements, aborted and discarded uploads (TearDown checks the end).
TEST_F(Upload, MixedSequenceKeepsTheLedgerExact) {
  for (std::uint64_t size : {0ull, 1ull, 4095ull, 4096ull, 4097ull, 12345ull, (1ull << 20) + 1}) {
    const std::string data(size, 'm');
    const std::string path = "/d/f" + std::to_string(size);
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin(path, size, u), errc::ok) << size;
    ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
    std::string actual;
    ASSERT_EQ(u->commit(std::nullopt, actual), errc::ok);
    EXPECT_EQ(used(), jail_->disk_usage()) << size;
  }
  {
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin("/d/f1", 70'000, u), errc::ok);  // replaces f1, then is cut
    const std::string part(30'001, 'p');
    ASSERT_EQ(u->write(part.data(), part.size()), errc::ok);
  }
  EXPECT_EQ(used(), jail_->disk_usage()) << "a part cut mid-upload";
  {
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin("/d/f4096", 8193, u), errc::ok);
    const std::string data(8193, 'q');
    ASSERT_EQ(u->write(data.data(), data.size()), errc::ok);
    std::string actual;
    EXPECT_EQ(u->commit(hex_of("other"), actual), errc::checksum_mismatch);
  }
  EXPECT_EQ(used(), jail_->disk_usage()) << "a part dropped for its checksum";
  {
    std::unique_ptr<upload> u;
    ASSERT_EQ(begin("/d/f12345", 100, u), errc::ok);
    u->abort(true);
  }
  EXPECT_EQ(used(), jail_->disk_usage()) << "an aborted upload";
}

}  // namespace
