// Progress bar arithmetic and layout. Pure: see progress.hpp.
#include "client/progress.hpp"

#include "client/utf8_text.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>
#include <vector>

#include "client/utf8_text.hpp"
#include "proto/units.hpp"

namespace ferry::client {
namespace {

constexpr std::size_t min_bar = 5;
constexpr std::size_t max_bar = 40;
constexpr std::size_t sizes_width = 21;  // "1023.9 MiB/1023.9 MiB"
constexpr std::size_t rate_width = 10;   // "1023 MiB/s"

std::string pad_left(std::string s, std::size_t width) {
  const std::size_t w = display_width(s);
  if (w < width) s.insert(0, width - w, ' ');
  return s;
}

std::string two_digits(long long v) {
  std::array<char, 8> buf{};
  std::snprintf(buf.data(), buf.size(), "%02lld", v);
  return buf.data();
}

}  // namespace

std::string format_rate(double bps) {
  if (!(bps > 0) || !std::isfinite(bps)) return "0 B/s";
  if (bps < 1023.5) return std::to_string(std::llround(bps)) + " B/s";
  static constexpr std::array<const char*, 5> units{"KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t k = 0;
  double v = bps / 1024.0;
  while (k + 1 < units.size() && v >= 1023.5) {
    v /= 1024.0;
    ++k;
  }
  std::array<char, 32> buf{};
  if (std::round(v * 10) / 10 < 100) {
    std::snprintf(buf.data(), buf.size(), "%.1f %s/s", v, units[k]);
  } else {
    std::snprintf(buf.data(), buf.size(), "%lld %s/s", std::llround(v), units[k]);
  }
  return buf.data();
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return "--:--";
  const long long s = seconds <= 0 ? 0 : std::llround(seconds);
  if (s >= 100LL * 3600) return "--:--";
  const long long h = s / 3600;
  const std::string ms = two_digits((s / 60) % 60) + ":" + two_digits(s % 60);
  return h > 0 ? std::to_string(h) + ":" + ms : ms;
}

double eta_seconds(std::uint64_t remaining, double bytes_per_second) {
  if (remaining == 0) return 0;
  if (!(bytes_per_second > 0)) return -1;
  return static_cast<double>(remaining) / bytes_per_second;
}

unsigned percent_done(std::uint64_t done, std::uint64_t total) {
  if (total == 0 || done >= total) return 100;
  const auto p = static_cast<unsigned>(static_cast<long double>(done) * 100 /
                                       static_cast<long double>(total));
  return std::min(p, 99U);
}

std::size_t display_width(std::string_view s) { return columns(s); }

std::string fit_left(std::string_view s, std::size_t width) {
  if (display_width(s) <= width) return std::string(s);
  if (width <= 3) return std::string(width, '.');
  // Keep the longest end that fits in width-3 columns, whole characters only.
  std::vector<std::pair<std::string_view, std::size_t>> chars;
  for_each_char(s, [&chars](std::string_view bytes, char32_t cp) {
    chars.emplace_back(bytes, column_width(cp));
  });
  std::size_t room = width - 3;
  std::size_t first = chars.size();
  while (first > 0 && chars[first - 1].second <= room) room -= chars[--first].second;
  // Zero-width marks belong to the character before them: start after them.
  while (first < chars.size() && chars[first].second == 0) ++first;
  std::string out = "...";
  for (std::size_t i = first; i < chars.size(); ++i) out.append(chars[i].first);
  return out;
}

void rate_estimator::reset(double t, std::uint64_t done) {
  points_.clear();
  points_.push_back({t, done});
  rate_ = 0;
}

void rate_estimator::sample(double t, std::uint64_t done) {
  if (points_.empty() || done < points_.back().done) {
    reset(t, done);
    return;
  }
  if (t - points_.back().t < 0.01) return;
  points_.push_back({t, done});
  // Drop bases while the next one is still a whole window old.
  while (points_.size() > 2 && t - points_[1].t >= window_) points_.pop_front();
  const point& base = points_.front();
  rate_ = static_cast<double>(done - base.done) / (t - base.t);
}

bool redraw_throttle::due(double t) noexcept {
  if (t - last_ < interval_) return false;
  last_ = t;
  return true;
}

std::string progress_line(const progress_view& v, std::size_t width) {
  const std::size_t avail = width > 0 ? width - 1 : 0;
  const unsigned pct = percent_done(v.done, v.total);
  std::array<char, 8> pbuf{};
  std::snprintf(pbuf.data(), pbuf.size(), "%3u%%", pct);
  const std::string percent = pbuf.data();
  const std::uint64_t remaining = v.total > v.done ? v.total - v.done : 0;
  const double eta = eta_seconds(remaining, v.rate);
  const std::string stats =
      pad_left(format_size(v.done) + "/" + format_size(v.total), sizes_width) + "  " +
      pad_left(format_rate(v.rate), rate_width) + "  ETA " +
      (eta < 0 ? std::string("--:--") : format_duration(eta));

  // Everything but the name and the bar: " " percent ... "  " stats.
  const std::size_t fixed = 1 + percent.size() + 2 + display_width(stats);
  const std::size_t name_w = display_width(v.name);
  if (avail < fixed + 1) {
    const std::string bare = percent + "  " + stats;
    return bare.substr(0, std::min(bare.size(), avail));  // ASCII only
  }
  const std::size_t room = avail - fixed;  // for the name, plus " [" bar "]" if it fits
  std::string line;
  std::size_t bar_w = 0;
  if (room >= name_w + 3 + min_bar) {
    bar_w = std::min(max_bar, room - name_w - 3);
    line = std::string(v.name);
  } else {
    line = fit_left(v.name, std::min(name_w, room));
  }
  line += " " + percent;
  if (bar_w > 0) {
    const auto filled = v.total == 0 || v.done >= v.total
                            ? bar_w
                            : static_cast<std::size_t>(static_cast<long double>(v.done) *
                                                       static_cast<long double>(bar_w) /
                                                       static_cast<long double>(v.total));
    std::string bar(filled, '=');
    if (filled < bar_w) {
      if (filled > 0) bar.back() = '>';
      bar.append(bar_w - filled, ' ');
    }
    line += " [" + bar + "]";
  }
  line += "  " + stats;
  return line;
}

std::string summary_line(std::string_view name, std::uint64_t total, std::uint64_t moved,
                         double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(moved) / seconds : 0;
  return std::string(name) + "  100%  " + format_size(total) + "  " + format_rate(rate) + "  " +
         format_duration(seconds);
}

}  // namespace ferry::client
