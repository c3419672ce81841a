#include "session/stream_io.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "transfer/digest.hpp"
#include "transfer/upload.hpp"
#include "vfs/digest_cache.hpp"
#include "vfs/download_file.hpp"
#include "vfs/file_io.hpp"
#include "transfer/rate_limiter.hpp"
#include "session/fs_workers.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::session {
namespace {

constexpr std::size_t max_chunk = 1 << 20;
constexpr std::size_t min_chunk = 64 * 1024;
constexpr std::size_t buffer_budget = 24u << 20;
constexpr std::uint64_t hash_slice = 8u << 20;
constexpr std::size_t max_lowat = 256 * 1024;

std::atomic<std::size_t> active_bulk{0};

}  // namespace

bool pacer::active() const {
  return (user != nullptr && user->rate() != 0) || (global != nullptr && global->rate() != 0);
}

asio::awaitable<void> pacer::wait(std::uint64_t n) const {
  const auto now = transfer::rate_limiter::clock::now();
  std::chrono::nanoseconds w{0};
  if (user != nullptr) w = std::max(w, user->acquire(n, now));
  if (global != nullptr) w = std::max(w, global->acquire(n, now));
  if (w.count() <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, w);
  co_await t.async_wait(use_nothrow);
}

bulk_buffer::bulk_buffer() {
  const auto n = active_bulk.fetch_add(1) + 1;
  size_ = std::clamp(buffer_budget / n, min_chunk, max_chunk);
  data_ = std::make_unique_for_overwrite<char[]>(size_);
}

bulk_buffer::~bulk_buffer() { active_bulk.fetch_sub(1); }

void low_watermark::set(std::size_t bytes) {
  const int v = static_cast<int>(std::clamp<std::size_t>(bytes, 1, max_lowat));
  if (v == current_ || s_.secure()) return;
  current_ = v;
  std::error_code ec;
  s_.socket().set_option(asio::socket_base::receive_low_watermark(v), ec);
}

bulk_buffer& write_behind::next_buffer() {
  auto& b = bufs_[turn_];
  if (!b) b = std::make_unique<bulk_buffer>();
  return *b;
}

asio::awaitable<byte_stream::result> write_behind::read(asio::awaitable<byte_stream::result> read) {
  using namespace asio::experimental::awaitable_operators;
  turn_ ^= 1;  // the buffer read into now is the one queued next
  if (pending_.empty() || up_ == nullptr || failure_ != errc::ok) {
    pending_ = {};
    co_return co_await std::move(read);
  }
  // (Asio 1.22's && mangles tuple results: the read's lands in a local.)
  byte_stream::result r;
  auto reading = [](asio::awaitable<byte_stream::result> op, byte_stream::result& out) -> asio::awaitable<void> {
    out = co_await std::move(op);
  };
  co_await (reading(std::move(read), r) && flush());
  co_return r;
}

asio::awaitable<void> write_behind::flush() {
  const auto chunk = std::exchange(pending_, {});
  if (chunk.empty() || up_ == nullptr || failure_ != errc::ok) co_return;
  failure_ = co_await fs_.run([&] { return up_->write(chunk.data(), chunk.size()); });
}

std::size_t unacked_bytes(asio::ip::tcp::socket& s) {
  int n = 0;
  if (::ioctl(s.native_handle(), SIOCOUTQ, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}

asio::awaitable<bool> read_file_at(fs_lane fs, int fd, char* buf, std::size_t n, std::uint64_t off) {
  const auto cached = vfs::read_cached(fd, buf, n, off);
  if (cached == n) co_return true;
  co_return co_await fs.run([&] { return vfs::read_at(fd, buf + cached, n - cached, off + cached); });
}

asio::awaitable<bool> send_file(fs_lane fs, byte_stream& stream, int fd, std::uint64_t off, std::uint64_t n,
                                transfer::digest* d, const pacer& p, bool use_sendfile,
                                const std::function<void()>& progress, std::uint64_t& sent) {
  sent = 0;
  const bool paced = p.active();
  if (d == nullptr && use_sendfile && !stream.secure()) {
    auto& s = stream.socket();
    s.native_non_blocking(true);
    auto pos = static_cast<off_t>(off);
    std::uint64_t left = n;
    while (left > 0) {
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, max_chunk));
      if (paced) co_await p.wait(want);
      // A range not in the page cache would make sendfile wait for the disk:
      // that call is made on a worker (the socket is non-blocking there too).
      const auto call = [&] { return ::sendfile(s.native_handle(), fd, &pos, want); };
      const auto r = vfs::range_cached(fd, static_cast<std::uint64_t>(pos), want) ? call() : co_await fs.run(call);
      if (r > 0) {
        left -= static_cast<std::uint64_t>(r);
        sent += static_cast<std::uint64_t>(r);
        progress();
        continue;
      }
      if (r == 0) co_return false;  // the file shrank under us
      if (errno == EINTR) continue;
      if (errno != EAGAIN) co_return false;
      auto [ec] = co_await s.async_wait(asio::socket_base::wait_write, use_nothrow);
      if (ec) co_return false;
    }
    co_return true;
  }
  bulk_buffer buf;
  std::uint64_t left = n;
  while (left > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
    if (!co_await read_file_at(fs, fd, buf.data(), want, off)) co_return false;
    if (d != nullptr) d->update(buf.data(), want);
    if (paced) co_await p.wait(want);
    auto [ec, w] = co_await stream.write(asio::buffer(buf.data(), want));
    sent += w;
    if (ec) co_return false;
    left -= want;
    off += want;
    progress();
  }
  co_return true;
}

asio::awaitable<bool> hash_range(fs_lane fs, int fd, std::uint64_t from, std::uint64_t n, transfer::digest& d,
                                 const std::function<void()>& progress) {
  // Each slice is read and hashed on a worker: a file never hashed before is
  // read from the disk, and the CPU time stays off the event loop.
  for (std::uint64_t at = 0; at < n; at += hash_slice) {
    const auto len = std::min(hash_slice, n - at);
    if (!co_await fs.run([&] { return transfer::digest_fd_slice(fd, from + at, len, d); })) co_return false;
    progress();
  }
  co_return true;
}

asio::awaitable<std::optional<std::string>> file_digest(fs_lane fs, const vfs::download_file& f,
                                                        std::string_view algo,
                                                        const std::function<void()>& progress) {
  if (auto hex = co_await fs.run([&] { return vfs::load_cached_digest(f.fd.get(), algo, f.st); })) co_return hex;
  auto d = transfer::digest::make(algo);
  if (!co_await hash_range(fs, f.fd.get(), 0, f.size, *d, progress)) co_return std::nullopt;
  std::string hex = d->hex();
  co_await fs.run([&] {
    if (vfs::unchanged(f.fd.get(), f.st)) vfs::store_cached_digest(f.fd.get(), algo, f.st, hex);
  });
  co_return hex;
}

}  // namespace ferry::session
