#include "session/stream_io.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "transfer/digest.hpp"
#include "vfs/digest_cache.hpp"
#include "vfs/download_file.hpp"
#include "vfs/file_io.hpp"
#include "transfer/rate_limiter.hpp"
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

std::size_t unacked_bytes(asio::ip::tcp::socket& s) {
  int n = 0;
  if (::ioctl(s.native_handle(), SIOCOUTQ, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}

asio::awaitable<bool> send_file(byte_stream& stream, int fd, std::uint64_t off, std::uint64_t n,
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
      const auto r = ::sendfile(s.native_handle(), fd, &pos, want);
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
    if (!vfs::read_at(fd, buf.data(), want, off)) co_return false;
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

asio::awaitable<bool> hash_range(int fd, std::uint64_t from, std::uint64_t n, transfer::digest& d,
                                 const std::function<void()>& progress) {
  const auto exec = co_await asio::this_coro::executor;
  for (std::uint64_t at = 0; at < n; at += hash_slice) {
    if (!transfer::digest_fd_slice(fd, from + at, std::min(hash_slice, n - at), d)) co_return false;
    progress();
    co_await asio::post(exec, asio::use_awaitable);
  }
  co_return true;
}

asio::awaitable<std::optional<std::string>> file_digest(const vfs::download_file& f,
                                                        std::string_view algo,
                                                        const std::function<void()>& progress) {
  if (auto hex = vfs::load_cached_digest(f.fd.get(), algo, f.st)) co_return hex;
  auto d = transfer::digest::make(algo);
  if (!co_await hash_range(f.fd.get(), 0, f.size, *d, progress)) co_return std::nullopt;
  std::string hex = d->hex();
  if (vfs::unchanged(f.fd.get(), f.st)) vfs::store_cached_digest(f.fd.get(), algo, f.st, hex);
  co_return hex;
}

}  // namespace ferry::session
