// Formatting of listings, stat output and quota for the user.
#include "client/listing_format.hpp"

#include <ctime>

#include <fmt/format.h>

#include "client/utf8_text.hpp"
#include "proto/mode_string.hpp"
#include "proto/units.hpp"

namespace ferry::client {
namespace {

/// Formats in local time; on a time out of range returns `width` '?'s so
/// columns stay aligned.
std::string format_time(std::int64_t unix_seconds, const char* pattern, std::size_t width) {
  const std::string fallback(width, '?');
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  if (static_cast<std::int64_t>(t) != unix_seconds || localtime_r(&t, &tm) == nullptr)
    return fallback;
  char buf[64];
  const std::size_t n = std::strftime(buf, sizeof buf, pattern, &tm);
  if (n == 0) return fallback;
  return std::string(buf, n);
}

}  // namespace

char type_char(entry_type t) noexcept {
  switch (t) {
    case entry_type::dir: return 'd';
    case entry_type::file: return '-';
    case entry_type::link: return 'l';
    case entry_type::other: break;
  }
  return '?';
}

std::string mode_string(entry_type t, std::uint32_t mode) { return proto::mode_string(type_char(t), mode); }

std::string mode_octal(std::uint32_t mode) { return fmt::format("{:04o}", mode & 07777); }

std::string format_date(std::int64_t unix_seconds) {
  return format_time(unix_seconds, "%Y-%m-%d %H:%M", 16);
}

std::string format_date_seconds(std::int64_t unix_seconds) {
  return format_time(unix_seconds, "%Y-%m-%d %H:%M:%S", 19);
}

std::string printable(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for_each_char(name, [&out](std::string_view bytes, char32_t cp) {
    const bool control = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
    const bool bidi = cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                      (cp >= 0x2066 && cp <= 0x2069);
    if (control || bidi) {
      out += '?';
    } else if (cp == replacement_char && bytes != "\xEF\xBF\xBD") {
      out += "\xEF\xBF\xBD";  // not UTF-8
    } else {
      out.append(bytes);
    }
  });
  return out;
}

std::string format_long_entry(const file_entry& e) {
  std::string line = fmt::format("{} {:>10} {:>12} {} {}", mode_string(e.type, e.mode),
                                 format_size(e.size), e.size, format_date(e.mtime), printable(e.name));
  if (e.type == entry_type::link && !e.target.empty()) line += " -> " + printable(e.target);
  return line;
}

std::vector<std::string> format_stat(const file_entry& e, std::string_view shown_name) {
  const std::string_view name = e.name.empty() ? shown_name : std::string_view(e.name);
  std::vector<std::string> lines{
      fmt::format("name:     {}", printable(name)),
      fmt::format("type:     {}", to_string(e.type)),
      fmt::format("size:     {} bytes ({})", e.size, format_size(e.size)),
      fmt::format("mode:     {} ({})", mode_octal(e.mode), mode_string(e.type, e.mode)),
      fmt::format("modified: {}", format_date_seconds(e.mtime)),
  };
  if (e.type == entry_type::link && !e.target.empty())
    lines.push_back(fmt::format("target:   {}", printable(e.target)));
  return lines;
}

std::string format_quota(std::uint64_t used, std::uint64_t limit) {
  if (limit == 0) return fmt::format("used {} (no limit)", format_size(used));
  const double pct = static_cast<double>(used) * 100.0 / static_cast<double>(limit);
  return fmt::format("used {} of {} ({:.1f}%)", format_size(used), format_size(limit), pct);
}

std::string format_file_count(std::uint64_t files, std::uint64_t max_files) {
  if (max_files == 0) return fmt::format("{} files (no limit)", files);
  const double pct = static_cast<double>(files) * 100.0 / static_cast<double>(max_files);
  return fmt::format("{} of {} files ({:.1f}%)", files, max_files, pct);
}

}  // namespace ferry::client
