// send_file by every method, over a real loopback TCP connection from a real
// file: the bytes that arrive and the digest computed on the way must be
// exactly the file's, at any offset, from the page cache or from the disk.
// And the probe that picks the method measures every one of them.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <random>
#include <string>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "session/byte_stream.hpp"
#include "session/fs_workers.hpp"
#include "session/send_probe.hpp"
#include "session/stream_io.hpp"
#include "test_files.hpp"
#include "transfer/digest.hpp"

namespace {

using namespace ferry::session;
namespace fs = std::filesystem;

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

std::string digest_of(std::string_view data) {
  auto d = ferry::transfer::digest::make("xxh128");
  d->update(data.data(), data.size());
  return d->hex();
}

struct sent_result {
  bool ok = false;
  std::string received;
  std::string digest;  // empty when not hashed
};

/// Sends [off, size) of `path` by `m` to a thread that reads until EOF.
sent_result send_over_loopback(fs_workers& workers, const fs::path& path, std::uint64_t off, send_method m,
                               bool hashed) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  asio::ip::tcp::socket near(io);
  near.connect(acceptor.local_endpoint());
  auto far = acceptor.accept();
  sent_result r;
  std::thread reader([&] {
    char buf[65536];
    for (;;) {
      const auto n = ::recv(far.native_handle(), buf, sizeof buf, 0);
      if (n <= 0) return;
      r.received.append(buf, static_cast<std::size_t>(n));
    }
  });
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  const auto size = static_cast<std::uint64_t>(fs::file_size(path));
  byte_stream stream(std::move(near));
  auto d = hashed ? ferry::transfer::digest::make("xxh128") : nullptr;
  const int key = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::uint64_t sent = 0;
        r.ok = co_await send_file(fs_lane(workers, &key), stream, fd, off, size - off, d.get(), pacer{}, m, [] {},
                                  sent);
        EXPECT_EQ(sent, size - off);
      },
      asio::detached);
  io.run();
  stream.socket().shutdown(asio::socket_base::shutdown_both);
  reader.join();
  ::close(fd);
  if (d) r.digest = d->hex();
  return r;
}

class SendFile : public ::testing::TestWithParam<send_method> {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as ferryd: sendfile and splice cannot say MSG_NOSIGNAL
    dir_ = ferry::test::fresh_test_dir("stream_io");
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  fs_workers workers_{2};
};

TEST_P(SendFile, EveryByteArrivesInOrderAtAnyOffset) {
  // Not a multiple of any chunk or pipe size.
  const auto data = random_bytes((3u << 20) + 12345, 7);
  const auto path = dir_ / "f";
  ferry::test::write(path, data);
  for (std::uint64_t off : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{(1u << 20) + 3}, data.size() - 1,
                            std::uint64_t{data.size()}}) {
    for (bool hashed : {false, true}) {
      const auto r = send_over_loopback(workers_, path, off, GetParam(), hashed);
      ASSERT_TRUE(r.ok) << name(GetParam()) << " off " << off;
      ASSERT_EQ(r.received.size(), data.size() - off) << name(GetParam()) << " off " << off;
      EXPECT_TRUE(r.received == data.substr(off)) << name(GetParam()) << " off " << off;
      if (hashed) {
        EXPECT_EQ(r.digest, digest_of(std::string_view(data).substr(off)));
      }
    }
  }
}

TEST_P(SendFile, AFileNotInThePageCacheIsReadOnAWorkerAndArrivesWhole) {
  const auto data = random_bytes(5u << 20, 11);
  const auto path = dir_ / "cold";
  ferry::test::write(path, data);
  const int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // clean pages leave the cache
  ::close(fd);
  const auto r = send_over_loopback(workers_, path, 0, GetParam(), true);
  ASSERT_TRUE(r.ok);
  EXPECT_TRUE(r.received == data);
  EXPECT_EQ(r.digest, digest_of(data));
}

TEST_P(SendFile, APeerThatHangsUpEndsTheSendWithFalse) {
  const auto path = dir_ / "big";
  ferry::test::write(path, random_bytes(8u << 20, 3));
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  asio::ip::tcp::socket near(io);
  near.connect(acceptor.local_endpoint());
  {
    auto far = acceptor.accept();
    far.set_option(asio::socket_base::linger(true, 0));
  }  // reset: nothing will be read
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  byte_stream stream(std::move(near));
  bool ok = true;
  const int key = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        std::uint64_t sent = 0;
        ok = co_await send_file(fs_lane(workers_, &key), stream, fd, 0, 8u << 20, nullptr, pacer{}, GetParam(),
                                [] {}, sent);
      },
      asio::detached);
  io.run();
  ::close(fd);
  EXPECT_FALSE(ok);
}

INSTANTIATE_TEST_SUITE_P(Methods, SendFile, ::testing::ValuesIn(all_send_methods),
                         [](const ::testing::TestParamInfo<send_method>& p) { return std::string(name(p.param)); });

TEST(SendProbe, MeasuresEveryMethodPlainAndHashed) {
  const auto dir = ferry::test::fresh_test_dir("send_probe");
  fs::create_directories(dir);
  fs_workers workers(1);
  std::atomic<bool> stop{false};
  std::string error;
  const auto f = probe_send_methods(workers, dir, "xxh128", stop, error, {.bytes = 2u << 20, .rounds = 1});
  EXPECT_EQ(error, "");
  for (std::size_t i = 0; i < all_send_methods.size(); ++i) {
    EXPECT_GT(f.plain[i], 0) << name(all_send_methods[i]);
    EXPECT_GT(f.hashed[i], 0) << name(all_send_methods[i]);
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "the probe's file has no name";
  fs::remove_all(dir);
}

TEST(SendProbe, AStopRequestEndsItWithoutFigures) {
  fs_workers workers(1);
  std::atomic<bool> stop{true};
  std::string error;
  const auto f = probe_send_methods(workers, fs::temp_directory_path(), "xxh128", stop, error, {.bytes = 1u << 20});
  EXPECT_FALSE(f.measured());
}

}  // namespace
