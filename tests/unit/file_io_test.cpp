// Reading from the page cache without waiting for the disk: what an event
// loop may do itself before it hands a read to a worker.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "test_files.hpp"
#include "vfs/file_io.hpp"
#include "vfs/unique_fd.hpp"

namespace {

using namespace ferry;

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::fresh_test_dir("file_io");
    std::filesystem::create_directories(dir_);
    data_.assign(1 << 20, 'x');
    for (std::size_t i = 0; i < data_.size(); ++i) data_[i] = static_cast<char>(i * 7);
    test::write(dir_ / "f", data_);
    fd_ = vfs::unique_fd(::open((dir_ / "f").c_str(), O_RDONLY | O_CLOEXEC));
    ASSERT_GE(fd_.get(), 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Drops the file's pages, as if the cache had been reclaimed.
  void evict() {
    ::fdatasync(fd_.get());
    ::posix_fadvise(fd_.get(), 0, 0, POSIX_FADV_DONTNEED);
  }

  std::filesystem::path dir_;
  std::string data_;
  vfs::unique_fd fd_;
};

TEST_F(FileIo, ReadsWhatTheCacheHolds) {
  std::string buf(data_.size(), '\0');
  ASSERT_EQ(vfs::read_cached(fd_.get(), buf.data(), buf.size(), 0), buf.size()) << "just written: cached";
  EXPECT_EQ(buf, data_);
  EXPECT_TRUE(vfs::read_at(fd_.get(), buf.data(), 4096, data_.size() - 4096));
  EXPECT_EQ(buf.substr(0, 4096), data_.substr(data_.size() - 4096));
  EXPECT_EQ(vfs::read_cached(fd_.get(), buf.data(), 10, data_.size()), 0u) << "at EOF";
  EXPECT_FALSE(vfs::read_at(fd_.get(), buf.data(), 10, data_.size() - 5)) << "past EOF";
}

TEST_F(FileIo, NeverWaitsForTheDisk) {
  evict();
  EXPECT_FALSE(vfs::range_cached(fd_.get(), 0, data_.size()));
  std::string buf(data_.size(), '\0');
  // (A miss may start readahead, so the cache is not looked at again here.)
  const auto got = vfs::read_cached(fd_.get(), buf.data(), buf.size(), 0);
  EXPECT_LT(got, buf.size()) << "evicted pages must not be read in by read_cached";
  EXPECT_EQ(buf.substr(0, got), data_.substr(0, got));
}

TEST_F(FileIo, RangeCachedSeesPagesComeAndGo) {
  std::string buf(data_.size(), '\0');
  ASSERT_TRUE(vfs::read_at(fd_.get(), buf.data(), buf.size(), 0));
  if (!vfs::range_cached(fd_.get(), 0, data_.size())) GTEST_SKIP() << "no cachestat(2) on this kernel";
  EXPECT_TRUE(vfs::range_cached(fd_.get(), 100, 5000)) << "an unaligned range inside the file";
  EXPECT_TRUE(vfs::range_cached(fd_.get(), 0, 0));
  evict();
  EXPECT_FALSE(vfs::range_cached(fd_.get(), 100, 5000));
}

}  // namespace
