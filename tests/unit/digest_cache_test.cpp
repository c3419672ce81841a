// Digests kept in an xattr: valid only while size and mtime match, and small
// enough to live in the inode (a kept digest must not cost the user a block).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "test_files.hpp"
#include "vfs/digest_cache.hpp"
#include "vfs/unique_fd.hpp"

namespace {

using namespace ferry;

class DigestCache : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::fresh_test_dir("digest_cache");
    std::filesystem::create_directories(dir_);
    test::write(dir_ / "f", "x");
    fd_ = vfs::unique_fd(::open((dir_ / "f").c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_GE(fd_.get(), 0);
    ASSERT_EQ(::fstat(fd_.get(), &st_), 0);
    if (::fsetxattr(fd_.get(), "user.probe", "1", 1, 0) != 0) GTEST_SKIP() << "no user xattrs here";
    ::fremovexattr(fd_.get(), "user.probe");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  vfs::unique_fd fd_;
  struct stat st_ {};
};

const std::string xxh = "0123456789abcdef0123456789abcdef";
const std::string sha = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

TEST_F(DigestCache, RoundTripsEachAlgo) {
  vfs::store_cached_digest(fd_.get(), "xxh128", st_, xxh);
  // (The upload form: it may take a block, which a second digest here needs.)
  vfs::store_cached_digest(fd_.get(), "sha256", sha);
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "xxh128", st_), xxh);
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "sha256", st_), sha);
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "md5", st_), std::nullopt);
}

TEST_F(DigestCache, InvalidOnceSizeOrMtimeDiffer) {
  vfs::store_cached_digest(fd_.get(), "xxh128", st_, xxh);
  auto other = st_;
  other.st_size += 1;
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "xxh128", other), std::nullopt);
  other = st_;
  other.st_mtim.tv_nsec ^= 1;
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "xxh128", other), std::nullopt);
}

TEST_F(DigestCache, GarbageAndTheOldTextFormAreNoDigest) {
  const std::string text = "1 1796038423422176755 " + xxh;
  ASSERT_EQ(::fsetxattr(fd_.get(), "user.ferry.digest.xxh128", text.data(), text.size(), 0), 0);
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "xxh128", st_), std::nullopt);
  vfs::store_cached_digest(fd_.get(), "xxh128", st_, "not hex!");
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "xxh128", st_), std::nullopt);
}

TEST_F(DigestCache, TheDefaultDigestTakesNoBlock) {
  vfs::store_cached_digest(fd_.get(), "xxh128", st_, xxh);
  struct stat after {};
  ASSERT_EQ(::fstat(fd_.get(), &after), 0);
  // A store that grew the file is undone, so the digest must still be there.
  EXPECT_EQ(vfs::load_cached_digest(fd_.get(), "xxh128", st_), xxh)
      << "the xxh128 digest did not fit in the inode (" << after.st_blocks << " blocks)";
}

}  // namespace
