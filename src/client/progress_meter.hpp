// The I/O half of the progress bar: decides whether to show anything (stderr
// is a TTY, or --progress), reads the clock and the terminal width, and
// writes the in-place line and the per-file summary line to the error stream.
// One file at a time; all layout comes from progress.hpp.
#pragma once
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "client/progress.hpp"

namespace ferry::client {

class progress_meter {
 public:
  /// Shows progress on `err` when `forced` or when stderr is a terminal.
  progress_meter(std::ostream& err, bool forced);
  progress_meter(const progress_meter&) = delete;
  progress_meter& operator=(const progress_meter&) = delete;
  ~progress_meter() { clear(); }

  bool enabled() const noexcept { return enabled_; }

  /// A file starts; `already` bytes were there before (a resume).
  void start(std::string name, std::uint64_t total, std::uint64_t already);
  /// `done` bytes of the file are present; redraws at most 10 times a second.
  void update(std::uint64_t done);
  /// The file is complete and verified: replaces the bar by the summary line.
  void finish();
  /// Removes the bar (before an error line or a notice is printed).
  void clear();
  /// The summary line of a file that never had a bar (pipelined small files).
  void done(const std::string& name, std::uint64_t total, std::uint64_t moved, double seconds);

  /// Seconds since the meter was made (times pipelined files).
  double now() const;

 private:

  std::ostream& err_;
  bool enabled_;
  std::chrono::steady_clock::time_point epoch_;
  std::string name_;
  std::uint64_t total_ = 0;
  std::uint64_t already_ = 0;
  std::uint64_t done_ = 0;
  double started_ = 0;
  std::size_t drawn_ = 0;  ///< columns of the bar on screen, 0 = none
  rate_estimator rate_;
  redraw_throttle throttle_;
};

}  // namespace ferry::client
