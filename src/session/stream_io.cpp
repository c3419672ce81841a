#include "session/stream_io.hpp"

#include <linux/sockios.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <new>

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
constexpr std::size_t buffer_budget = 8u << 20;
constexpr std::uint64_t hash_slice = 8u << 20;
constexpr std::size_t max_lowat = 256 * 1024;

// Bytes held by bulk buffers right now, all transfers together.
std::atomic<std::size_t> bulk_bytes{0};

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
  // What the budget has left, rounded down to pages; at least min_chunk, so
  // the total stays under buffer_budget + min_chunk per transfer.
  const auto held = bulk_bytes.load(std::memory_order_relaxed);
  const auto left = held < buffer_budget ? buffer_budget - held : 0;
  size_ = std::clamp(left & ~std::size_t{4095}, min_chunk, max_chunk);
  bulk_bytes.fetch_add(size_, std::memory_order_relaxed);
  void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    bulk_bytes.fetch_sub(size_, std::memory_order_relaxed);
    throw std::bad_alloc();
  }
  data_ = static_cast<char*>(p);
}

bulk_buffer::~bulk_buffer() {
  ::munmap(data_, size_);
  bulk_bytes.fetch_sub(size_, std::memory_order_relaxed);
}

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

namespace {

/// A pipe for splice, closed with the transfer. Sized up to max_chunk when
/// the system lets this user have that much pipe memory.
class splice_pipe {
 public:
  splice_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    r_ = fds[0];
    w_ = fds[1];
    ::fcntl(w_, F_SETPIPE_SZ, static_cast<int>(max_chunk));
    const int cap = ::fcntl(w_, F_GETPIPE_SZ);
    capacity_ = cap > 0 ? static_cast<std::size_t>(cap) : 0;
  }
  ~splice_pipe() {
    if (r_ >= 0) ::close(r_);
    if (w_ >= 0) ::close(w_);
  }
  splice_pipe(const splice_pipe&) = delete;
  splice_pipe& operator=(const splice_pipe&) = delete;
  bool ok() const noexcept { return capacity_ > 0; }
  int r() const noexcept { return r_; }
  int w() const noexcept { return w_; }
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  int r_ = -1, w_ = -1;
  std::size_t capacity_ = 0;
};

// at_file's results other than a byte count (errno stays on the thread that
// made the call, which may be a worker).
constexpr ssize_t call_failed = -1, call_again = -2, call_interrupted = -3;

/// Runs `call` (a system call reading the file at `pos`) inline when the
/// page cache holds [pos, pos + len), else on a worker: a disk read must not
/// stall the loop.
template <class F>
asio::awaitable<ssize_t> at_file(fs_lane fs, int fd, std::uint64_t pos, std::size_t len, F call) {
  const auto classified = [&call]() -> ssize_t {
    const ssize_t r = call();
    if (r >= 0) return r;
    return errno == EAGAIN ? call_again : errno == EINTR ? call_interrupted : call_failed;
  };
  if (vfs::range_cached(fd, pos, len)) co_return classified();
  co_return co_await fs.run(classified);
}

/// sendfile(2) of [pos, pos + len) to the non-blocking socket.
asio::awaitable<bool> sendfile_range(fs_lane fs, asio::ip::tcp::socket& s, int fd, std::uint64_t pos,
                                     std::size_t len, std::uint64_t& sent, const std::function<void()>& progress) {
  auto at = static_cast<off_t>(pos);
  while (len > 0) {
    const auto r = co_await at_file(fs, fd, static_cast<std::uint64_t>(at), len,
                                    [&] { return ::sendfile(s.native_handle(), fd, &at, len); });
    if (r > 0) {
      len -= static_cast<std::size_t>(r);
      sent += static_cast<std::uint64_t>(r);
      progress();
      continue;
    }
    if (r == call_interrupted) continue;
    if (r != call_again) co_return false;  // the file shrank (0) or the peer is gone
    auto [ec] = co_await s.async_wait(asio::socket_base::wait_write, use_nothrow);
    if (ec) co_return false;
  }
  co_return true;
}

/// splice(2) of [pos, pos + len): file -> pipe, then pipe -> socket, one
/// pipeful at a time (the pipe is empty between calls).
asio::awaitable<bool> splice_range(fs_lane fs, asio::ip::tcp::socket& s, const splice_pipe& pipe, int fd,
                                   std::uint64_t pos, std::size_t len, std::uint64_t& sent,
                                   const std::function<void()>& progress) {
  auto at = static_cast<loff_t>(pos);
  while (len > 0) {
    const auto want = std::min(len, pipe.capacity());
    const auto in = co_await at_file(fs, fd, static_cast<std::uint64_t>(at), want, [&] {
      return ::splice(fd, &at, pipe.w(), nullptr, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    });
    if (in == call_interrupted) continue;
    if (in <= 0) co_return false;  // shrank (0) or failed
    len -= static_cast<std::size_t>(in);
    auto queued = static_cast<std::size_t>(in);
    while (queued > 0) {
      const auto out = ::splice(pipe.r(), nullptr, s.native_handle(), nullptr, queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (out > 0) {
        queued -= static_cast<std::size_t>(out);
        sent += static_cast<std::uint64_t>(out);
        continue;
      }
      if (out < 0 && errno == EINTR) continue;
      if (out == 0 || errno != EAGAIN) co_return false;
      auto [ec] = co_await s.async_wait(asio::socket_base::wait_write, use_nothrow);
      if (ec) co_return false;
    }
    progress();
  }
  co_return true;
}

/// pread + send through a bulk buffer, hashing on the way.
asio::awaitable<bool> copy_file(fs_lane fs, byte_stream& stream, int fd, std::uint64_t off, std::uint64_t n,
                                transfer::digest* d, const pacer& p, const std::function<void()>& progress,
                                std::uint64_t& sent) {
  const bool paced = p.active();
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

}  // namespace

asio::awaitable<bool> send_file(fs_lane fs, byte_stream& stream, int fd, std::uint64_t off, std::uint64_t n,
                                transfer::digest* d, const pacer& p, send_method method,
                                const std::function<void()>& progress, std::uint64_t& sent) {
  sent = 0;
  if (stream.secure() || method == send_method::copy)
    co_return co_await copy_file(fs, stream, fd, off, n, d, p, progress, sent);
  std::optional<splice_pipe> pipe;
  if (method == send_method::splice) {
    pipe.emplace();
    if (!pipe->ok()) method = send_method::sendfile;  // out of descriptors or pipe memory
  }
  auto& s = stream.socket();
  s.native_non_blocking(true);
  const bool paced = p.active();
  // Hashing reads each chunk into a buffer first; the kernel then sends the
  // same range from the page cache.
  std::optional<bulk_buffer> buf;
  if (d != nullptr) buf.emplace();
  const std::size_t chunk = buf ? buf->size() : max_chunk;
  for (std::uint64_t left = n; left > 0;) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk));
    if (buf) {
      if (!co_await read_file_at(fs, fd, buf->data(), want, off)) co_return false;
      d->update(buf->data(), want);
    }
    if (paced) co_await p.wait(want);
    const bool ok = method == send_method::splice ? co_await splice_range(fs, s, *pipe, fd, off, want, sent, progress)
                                                  : co_await sendfile_range(fs, s, fd, off, want, sent, progress);
    if (!ok) co_return false;
    left -= want;
    off += want;
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
