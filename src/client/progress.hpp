// The pure half of the transfer progress bar: human rates and durations, a
// smoothed rate, ETA, redraw throttling and the layout of the in-place line
// and the final summary line. No I/O and no clock: times are passed in as
// seconds, so everything here is unit-tested (tests/unit/client_progress_test.cpp).
#pragma once
#include <cstddef>
#include <cstdint>
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

/// Columns a UTF-8 string takes, counted as code points (wide East Asian
/// characters are not special-cased).
std::size_t display_width(std::string_view s);

/// Shortens `s` to at most `width` columns keeping its end ("...e/name.bin"),
/// cut on code point boundaries.
std::string fit_left(std::string_view s, std::size_t width);

/// An exponentially weighted moving average of the transfer rate. Samples are
/// (time, bytes done so far); the weight of the past decays with
/// `time_constant` seconds, so the display neither jumps nor lags for long.
class rate_estimator {
 public:
  explicit rate_estimator(double time_constant = 2.0) : tau_(time_constant) {}

  /// Starts over at time `t` with `done` bytes already there (a resume).
  void reset(double t, std::uint64_t done);
  /// Adds a sample; samples closer than 10 ms to the last one are ignored.
  void sample(double t, std::uint64_t done);
  /// 0 until the first usable sample.
  double bytes_per_second() const noexcept { return rate_; }

 private:
  double tau_;
  double last_t_ = 0;
  std::uint64_t last_done_ = 0;
  double rate_ = 0;
  bool have_rate_ = false;
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
