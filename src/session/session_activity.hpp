// What one session shows `ferryd ctl sessions`: who, from where, over what,
// since when, how long idle, and the transfer it is moving now. The session
// writes it from its own loop; the admin socket reads it from another, so
// the per-chunk fields are relaxed atomics (no lock on the transfer path).
// Only the transfer's path, written once per transfer, takes a small lock.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace ferry::session {

class session_activity {
 public:
  using clock = std::chrono::steady_clock;

  /// `protocol`: "ferry", "ftp" or "ftps" (the listener); `peer` "addr:port".
  session_activity(std::string protocol, std::string peer);

  /// A consistent-enough copy for display (fields are read one by one).
  struct view {
    std::string protocol;
    std::string peer;
    bool tls = false;
    std::int64_t since = 0;        ///< unix seconds the connection opened
    std::int64_t idle_ms = 0;      ///< since the last request or transfer chunk
    bool transferring = false;
    std::string path;              ///< virtual path of the current transfer
    bool incoming = false;         ///< upload (true) or download
    std::uint64_t size = 0;        ///< whole file, 0 when unknown (FTP STOR)
    std::uint64_t offset = 0;      ///< where the transfer started (resume)
    std::uint64_t done = 0;        ///< bytes moved by this transfer so far
    double rate = 0;               ///< bytes/s averaged over the transfer
  };
  view read() const;

  // Called from the session's own loop only.
  /// A request or a chunk: the session is not idle.
  void touch(bool tls) noexcept;
  void begin_transfer(const std::string& path, bool incoming, std::uint64_t size, std::uint64_t offset);
  /// `n` more bytes moved.
  void add(std::uint64_t n) noexcept { done_.fetch_add(n, std::memory_order_relaxed); }
  /// `total` bytes moved so far (for loops that count themselves).
  void set_done(std::uint64_t total) noexcept { done_.store(total, std::memory_order_relaxed); }
  /// The transfer of `path` has ended (another one may have begun since).
  void end_transfer(const std::string& path);

 private:
  static std::int64_t now_ms() noexcept;

  const std::string protocol_;
  const std::string peer_;
  const std::int64_t since_;
  std::atomic<bool> tls_{false};
  std::atomic<std::int64_t> last_ms_;
  std::atomic<bool> transferring_{false};
  std::atomic<bool> incoming_{false};
  std::atomic<std::uint64_t> size_{0};
  std::atomic<std::uint64_t> offset_{0};
  std::atomic<std::uint64_t> done_{0};
  std::atomic<std::int64_t> started_ms_{0};
  mutable std::mutex path_mu_;  ///< path_ only: once per transfer, never per chunk
  std::string path_;
};

}  // namespace ferry::session
