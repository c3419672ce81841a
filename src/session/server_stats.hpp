// The server's counters, shared by `ferryd ctl stats` and the Prometheus
// metrics: logins, bytes and transfers by direction, a histogram of transfer
// durations, exec runs. Sessions on every loop bump them with relaxed atomic
// adds (no lock); readers take a snapshot, a plain struct that formatting
// code can use without knowing where the numbers came from.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace ferry::session {

/// Upper bounds (seconds) of the transfer-duration histogram's buckets; a
/// last, implicit bucket is +Inf.
inline constexpr std::array<double, 9> transfer_seconds_buckets{0.1, 0.5, 1, 5, 15, 60, 300, 1800, 7200};

/// A copy of the counters at one moment (plus the sessions now, by protocol).
struct stats_snapshot {
  std::uint64_t logins_ok = 0;
  std::uint64_t logins_failed = 0;
  std::uint64_t bytes_in = 0;   ///< received (uploads), complete or cut
  std::uint64_t bytes_out = 0;  ///< sent (downloads), complete or cut
  std::uint64_t transfers_in = 0;   ///< uploads completed
  std::uint64_t transfers_out = 0;  ///< downloads completed
  std::uint64_t failed_in = 0;   ///< uploads cut or refused at the end
  std::uint64_t failed_out = 0;  ///< downloads cut
  std::uint64_t exec_runs = 0;
  /// Cumulative counts per bucket (Prometheus "le" semantics), the last is +Inf.
  std::array<std::uint64_t, transfer_seconds_buckets.size() + 1> duration_buckets{};
  double duration_sum = 0;  ///< seconds, over every transfer counted
  std::uint64_t duration_count = 0;
  double uptime = 0;        ///< seconds since the server started
  std::int64_t started = 0; ///< unix seconds
  /// Live sessions by protocol ("ferry", "ftp", "ftps"), and not logged in yet.
  std::map<std::string, std::uint64_t> sessions;
  std::uint64_t pending = 0;
};

struct server_stats {
  server_stats();

  std::atomic<std::uint64_t> logins_ok{0};
  std::atomic<std::uint64_t> logins_failed{0};
  /// Remote commands run (bumped by the exec op).
  std::atomic<std::uint64_t> exec_runs{0};

  /// One transfer has ended (xferlog's moment): its bytes, its direction,
  /// its duration; `complete` counts it as a transfer, else as failed.
  void transfer_ended(bool incoming, std::uint64_t bytes, double seconds, bool complete) noexcept;
  /// The counters now; sessions are the caller's to fill in.
  stats_snapshot snapshot() const;

 private:
  std::atomic<std::uint64_t> bytes_in_{0}, bytes_out_{0};
  std::atomic<std::uint64_t> transfers_in_{0}, transfers_out_{0}, failed_in_{0}, failed_out_{0};
  std::array<std::atomic<std::uint64_t>, transfer_seconds_buckets.size() + 1> buckets_{};  ///< not cumulative
  std::atomic<std::uint64_t> duration_us_{0};
  const std::chrono::steady_clock::time_point start_;
  const std::int64_t started_;
};

}  // namespace ferry::session
