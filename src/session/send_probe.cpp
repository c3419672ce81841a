#include "session/send_probe.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "session/byte_stream.hpp"
#include "session/stream_io.hpp"
#include "transfer/digest.hpp"

namespace ferry::session {
namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t io_size = 1 << 20;
constexpr auto run_timeout = std::chrono::seconds(10);

/// CPU time of the calling thread (user + system), in ms: the sender's, as
/// sends run on this thread (the reader has its own).
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

/// An unnamed file of `bytes` in `dir` (or in memory when `dir` cannot hold
/// one), filled with varied bytes. False with `error` set on failure.
bool make_file(const std::filesystem::path& dir, std::uint64_t bytes, fd_guard& out, std::string& error) {
  out.fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (out.fd < 0) out.fd = ::memfd_create("ferry-send-probe", MFD_CLOEXEC);
  if (out.fd < 0) {
    error = std::string("cannot create a file to measure with: ") + std::strerror(errno);
    return false;
  }
  std::vector<char> block(io_size);
  std::uint64_t x = 0x9e3779b97f4a7c15u;
  for (std::size_t i = 0; i + 8 <= block.size(); i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(block.data() + i, &x, 8);
  }
  for (std::uint64_t at = 0; at < bytes; at += block.size()) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), bytes - at));
    if (::pwrite(out.fd, block.data(), n, static_cast<off_t>(at)) != static_cast<ssize_t>(n)) {
      error = std::string("cannot write a file to measure with: ") + std::strerror(errno);
      return false;
    }
  }
  return true;
}

/// The far end: reads and discards, counting, as a fast client would.
class sink {
 public:
  explicit sink(int fd) : fd_(fd), thread_([this] { loop(); }) {}
  ~sink() {
    ::shutdown(fd_, SHUT_RDWR);  // ends a recv still waiting (a run that threw)
    thread_.join();
  }
  sink(const sink&) = delete;
  sink& operator=(const sink&) = delete;

  std::uint64_t received() {
    std::lock_guard lock(m_);
    return received_;
  }
  /// Waits until `total` bytes have arrived in all; false on timeout or EOF.
  bool wait_for(std::uint64_t total) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, run_timeout, [&] { return received_ >= total || done_; }) && received_ >= total;
  }

 private:
  void loop() {
    std::vector<char> buf(io_size);
    for (;;) {
      const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(m_);
      if (n <= 0) {
        done_ = true;
        cv_.notify_all();
        return;
      }
      received_ += static_cast<std::uint64_t>(n);
      cv_.notify_all();
    }
  }

  int fd_;
  std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t received_ = 0;
  bool done_ = false;
  std::thread thread_;
};

send_figures probe(fs_workers& fs, const std::filesystem::path& dir, std::string_view algo,
                   const std::atomic<bool>& stop, std::string& error, const send_probe_options& opt) {
  send_figures f;
  f.hash_algo = std::string(algo);
  fd_guard file;
  if (!make_file(dir, opt.bytes, file, error)) return {};

  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  asio::ip::tcp::socket near(io);
  std::error_code ec;
  near.connect(acceptor.local_endpoint(), ec);
  asio::ip::tcp::socket far = acceptor.accept(ec);
  if (ec) {
    error = "cannot connect over loopback: " + ec.message();
    return {};
  }
  byte_stream stream(std::move(near));
  const fs_lane lane(fs, &f);
  bool measured = false;
  {
    sink reader(far.native_handle());
    // One run: false when it failed (the stream is then out of step, so no
    // later run could be timed).
    const auto run = [&](send_method m, bool hashed) {
      auto d = hashed ? transfer::digest::make(algo) : nullptr;
      const auto target = reader.received() + opt.bytes;
      bool ok = false;
      std::uint64_t sent = 0;
      const auto t0 = clock::now();
      const auto cpu0 = thread_cpu_ms();
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            ok = co_await send_file(lane, stream, file.fd, 0, opt.bytes, d.get(), pacer{}, m, [] {}, sent);
          },
          asio::detached);
      io.restart();
      io.run();
      if (!ok || !reader.wait_for(target)) {
        error = "the " + std::string(name(m)) + " run failed";
        return false;
      }
      const std::chrono::duration<double> secs = clock::now() - t0;
      const auto i = static_cast<std::size_t>(m);
      auto& best = (hashed ? f.hashed : f.plain)[i];
      best = std::max(best, static_cast<double>(opt.bytes) / secs.count() / 1e6);
      // The least CPU of the runs: other work on the machine only adds to it.
      auto& cpu = (hashed ? f.hashed_cpu : f.plain_cpu)[i];
      const double per_gb = (thread_cpu_ms() - cpu0) * 1e9 / static_cast<double>(opt.bytes);
      cpu = cpu > 0 ? std::min(cpu, per_gb) : per_gb;
      measured = true;
      return true;
    };
    [&] {
      for (int round = 0; round < opt.rounds; ++round)
        for (const bool hashed : {false, true})
          for (const auto m : all_send_methods)
            if (stop.load() || !run(m, hashed)) return;
    }();
    stream.socket().shutdown(asio::socket_base::shutdown_both, ec);
  }
  if (!measured) return {};
  return f;
}

}  // namespace

send_figures probe_send_methods(fs_workers& fs, const std::filesystem::path& dir, std::string_view algo,
                                const std::atomic<bool>& stop, std::string& error, send_probe_options opt) {
  // No loopback (a network namespace without lo), no memory: no figures, and
  // the server goes on with copy.
  try {
    return probe(fs, dir, algo, stop, error, opt);
  } catch (const std::exception& e) {
    error = e.what();
    return {};
  }
}

}  // namespace ferry::session
