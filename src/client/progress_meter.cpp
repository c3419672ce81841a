// Terminal side of the progress bar: TTY check, width, clock, drawing.
#include "client/progress_meter.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "client/listing_format.hpp"

namespace ferry::client {
namespace {

std::size_t terminal_width() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS"); c != nullptr) {
    const long n = std::strtol(c, nullptr, 10);
    if (n >= 20 && n <= 1000) return static_cast<std::size_t>(n);
  }
  return 80;
}

/// The summary line, its name shortened from the left so the line does not
/// wrap (a wrapped line leaves the next bar drawn one line too low).
std::string fitted_summary(const std::string& name, std::uint64_t total, std::uint64_t moved,
                           double seconds) {
  const std::size_t avail = terminal_width() - 1;
  std::string line = summary_line(name, total, moved, seconds);
  const std::size_t w = display_width(line);
  if (w <= avail) return line;
  const std::size_t name_w = display_width(name);
  const std::size_t room = name_w > w - avail ? name_w - (w - avail) : 0;
  return summary_line(fit_left(name, std::max<std::size_t>(room, 4)), total, moved, seconds);
}

}  // namespace

progress_meter::progress_meter(std::ostream& err, bool forced)
    : err_(err),
      enabled_(forced || ::isatty(STDERR_FILENO) != 0),
      epoch_(std::chrono::steady_clock::now()) {}

double progress_meter::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_).count();
}

void progress_meter::start(std::string name, std::uint64_t total, std::uint64_t already) {
  if (!enabled_) return;
  clear();
  name_ = printable(name);
  total_ = total;
  already_ = already;
  done_ = already;
  started_ = now();
  rate_.reset(started_, already);
  throttle_.reset(started_);
}

void progress_meter::update(std::uint64_t done) {
  if (!enabled_) return;
  done_ = done;
  const double t = now();
  if (!throttle_.due(t)) return;
  rate_.sample(t, done);
  const std::string line =
      progress_line(progress_view{name_, done, total_, rate_.bytes_per_second()}, terminal_width());
  // Pad over a longer previous line instead of relying on terminal escapes.
  const std::size_t w = display_width(line);
  std::string out = "\r" + line;
  if (w < drawn_) out.append(drawn_ - w, ' ');
  err_ << out << std::flush;
  drawn_ = w;
}

void progress_meter::finish() {
  if (!enabled_) return;
  const std::string line = fitted_summary(name_, total_, total_ - already_, now() - started_);
  std::string out;
  if (drawn_ > 0) {
    out = "\r" + line;
    const std::size_t w = display_width(line);
    if (w < drawn_) out.append(drawn_ - w, ' ');
  } else {
    out = line;
  }
  out += '\n';
  err_ << out << std::flush;
  drawn_ = 0;
}

void progress_meter::done(const std::string& name, std::uint64_t total, std::uint64_t moved,
                          double seconds) {
  if (!enabled_) return;
  clear();
  err_ << (fitted_summary(printable(name), total, moved, seconds) + '\n') << std::flush;
}

void progress_meter::clear() {
  if (!enabled_ || drawn_ == 0) return;
  err_ << ('\r' + std::string(drawn_, ' ') + '\r') << std::flush;
  drawn_ = 0;
}

}  // namespace ferry::client
