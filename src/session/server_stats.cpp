// Server counters.
#include "session/server_stats.hpp"

#include <ctime>

namespace ferry::session {

namespace {
constexpr auto relaxed = std::memory_order_relaxed;
}

server_stats::server_stats() : start_(std::chrono::steady_clock::now()), started_(std::time(nullptr)) {}

void server_stats::transfer_ended(bool incoming, std::uint64_t bytes, double seconds, bool complete) noexcept {
  (incoming ? bytes_in_ : bytes_out_).fetch_add(bytes, relaxed);
  if (!complete) {
    (incoming ? failed_in_ : failed_out_).fetch_add(1, relaxed);
    return;
  }
  (incoming ? transfers_in_ : transfers_out_).fetch_add(1, relaxed);
  std::size_t b = 0;
  while (b < transfer_seconds_buckets.size() && seconds > transfer_seconds_buckets[b]) ++b;
  buckets_[b].fetch_add(1, relaxed);
  duration_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), relaxed);
}

stats_snapshot server_stats::snapshot() const {
  stats_snapshot s;
  s.logins_ok = logins_ok.load(relaxed);
  s.logins_failed = logins_failed.load(relaxed);
  s.exec_runs = exec_runs.load(relaxed);
  s.bytes_in = bytes_in_.load(relaxed);
  s.bytes_out = bytes_out_.load(relaxed);
  s.transfers_in = transfers_in_.load(relaxed);
  s.transfers_out = transfers_out_.load(relaxed);
  s.failed_in = failed_in_.load(relaxed);
  s.failed_out = failed_out_.load(relaxed);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < buckets_.size(); ++i) {
    running += buckets_[i].load(relaxed);
    s.duration_buckets[i] = running;
  }
  s.duration_count = running;
  s.duration_sum = static_cast<double>(duration_us_.load(relaxed)) / 1e6;
  s.uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  s.started = started_;
  return s;
}

}  // namespace ferry::session
