// The pure half of the transfer progress bar: human rates and durations, a
// windowed rate, ETA, redraw throttling and the layout of the in-place line
// and the final summary line. No I/O and no clock: times are passed in as
// seconds, so everything here is unit-tested (tests/unit/client_progress_test.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace ferry::client {

/// "0 B/s", "512 B/s", "12.3 MiB/s", "812 MiB/s", "1.2 GiB/s": one decimal
/// below 100 units, none from 100 up (1024-based units, as format_size).
std::string format_rate(double bytes_per_second);

/// Elapsed time or ETA: "00:07", "59:59", "1:00:00", "99:59:59"; negative
/// values count as 0 and anything from 100 hours up (or not finite) is "--:--".
std::string format_duration(double seconds);

/// Seconds until `remaining` bytes are done at `bytes_per_second`, or a
/// negative value when the rate is unknown (0).
double eta_seconds(std::uint64_t remaining, double bytes_per_second);

/// Whole percent, floored so 100 means really done; an empty total is 100.
unsigned percent_done(std::uint64_t done, std::uint64_t total);

/// Columns a UTF-8 string takes on a terminal (utf8_text.hpp: East Asian
/// wide characters and emoji take two, combining marks none).
std::size_t display_width(std::string_view s);

/// Shortens `s` to at most `width` columns keeping its end ("...e/name.bin"),
/// cut on code point boundaries.
std::string fit_left(std::string_view s, std::size_t width);

/// The transfer rate over a sliding window: bytes moved between the newest
/// sample and the newest one at least `window` seconds older (the start,
/// until the transfer is that old). A window, not an average since the start
/// or a decaying one: the burst a token bucket lets through at the start (a
/// whole second of the limit, plus socket buffers) leaves the window after
/// `window` seconds instead of inflating the rate and shortening the ETA for
/// many seconds.
class rate_estimator {
 public:
  explicit rate_estimator(double window = 1.5) : window_(window) {}

  /// Starts over at time `t` with `done` bytes already there (a resume).
  void reset(double t, std::uint64_t done);
  /// Adds a sample; samples closer than 10 ms to the last one are ignored.
  void sample(double t, std::uint64_t done);
  /// 0 until the first usable sample.
  double bytes_per_second() const noexcept { return rate_; }

 private:
  struct point {
    double t;
    std::uint64_t done;
  };
  double window_;
  std::deque<point> points_;  ///< oldest first; front is the window's base
  double rate_ = 0;
};

/// Allows at most one redraw per `interval` seconds; the first one only after
/// `interval` too, so files that finish at once draw no bar at all.
class redraw_throttle {
 public:
  explicit redraw_throttle(double interval = 0.1) : interval_(interval) {}
  void reset(double t) noexcept { last_ = t; }
  /// True (and remembers `t`) when a redraw is due.
  bool due(double t) noexcept;

 private:
  double interval_;
  double last_ = 0;
};

/// What one progress line shows.
struct progress_view {
  std::string_view name;       ///< already made printable
  std::uint64_t done = 0;      ///< bytes of the file present so far (resume prefix included)
  std::uint64_t total = 0;     ///< file size
  double rate = 0;             ///< bytes/s, smoothed
};

/// The in-place line, at most `width - 1` columns (the last column would wrap
/// on some terminals), no '\r' or newline:
/// "name  45% [=========>          ]  450.0 MiB/1.0 GiB  812 MiB/s  ETA 00:01".
/// The bar shrinks first, then goes; then the name is shortened from the left.
std::string progress_line(const progress_view& v, std::size_t width);

/// The final line of a finished file, no newline:
/// "name  100%  1.0 GiB  812 MiB/s  00:01" — name, percent, size, average
/// rate of the bytes moved this time (`moved` over `seconds`), elapsed time.
std::string summary_line(std::string_view name, std::uint64_t total, std::uint64_t moved,
                         double seconds);

}  // namespace ferry::client
