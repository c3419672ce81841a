// The client's transfer knobs in one place: pipelining window, buffer sizes,
// and the chunk sizer that keeps syscalls big on a fast link and the
// progress bar lively on a slow one. Pure.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace ferry::client::tuning {

/// Requests in flight on one connection (get -r / put -r of small files).
inline constexpr std::size_t window_requests = 64;
/// Bytes in flight: inline put bodies sent but not answered, or get bodies
/// asked for and not yet read.
inline constexpr std::uint64_t window_bytes = 8 << 20;
/// Buffered request frames are sent once they reach this size.
inline constexpr std::size_t send_batch = 256 << 10;
/// Largest single recv of a download. Measured here: 1 MiB beat 4 MiB on
/// get (a big MSG_WAITALL recv stalls the sender while the chunk is written).
inline constexpr std::size_t max_recv_chunk = 1 << 20;
/// Largest single read+send of an upload (4 MiB beat 1 MiB on put).
inline constexpr std::size_t max_send_chunk = 4 << 20;
inline constexpr std::size_t min_chunk = 64 << 10;
inline constexpr std::size_t first_chunk = 256 << 10;

/// True when one more request of `bytes` would overfill the window.
inline bool window_full(std::size_t requests, std::uint64_t in_flight, std::uint64_t bytes) noexcept {
  return requests >= window_requests || in_flight + bytes > window_bytes;
}

/// Once the window was full, replies are read until it is half empty, so the
/// next requests go out batched in one send instead of one by one.
inline bool window_drained(std::size_t requests, std::uint64_t in_flight) noexcept {
  return requests <= window_requests / 2 && in_flight <= window_bytes / 2;
}

/// Doubles the chunk while one takes under 20 ms, halves it while one takes
/// over 100 ms, within [min_chunk, max].
class chunk_sizer {
 public:
  explicit chunk_sizer(std::size_t max) noexcept : max_(max), size_(std::min(first_chunk, max)) {}
  std::size_t size() const noexcept { return size_; }
  void took(double seconds) noexcept {
    if (seconds < 0.02) size_ = std::min(size_ * 2, max_);
    else if (seconds > 0.1) size_ = std::max(size_ / 2, std::min(min_chunk, max_));
  }

 private:
  std::size_t max_;
  std::size_t size_;
};

}  // namespace ferry::client::tuning
