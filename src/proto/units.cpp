// Human byte sizes for quotas and rate limits. Parsing is exact integer
// arithmetic (no floating point): "1.5GiB" is 1.5 * 2^30 bytes, rounded down,
// with every multiplication checked for overflow.
#include "proto/units.hpp"

#include <array>
#include <limits>

namespace ferry {
namespace {

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "", "b" -> 1; "k", "kb", "kib" -> 2^10; likewise m, g, t.
std::optional<std::uint64_t> multiplier(std::string_view unit) {
  if (unit.empty() || iequals(unit, "b")) return 1;
  static constexpr std::string_view letters = "kmgt";
  const auto pos = letters.find(lower(unit[0]));
  if (pos == std::string_view::npos) return std::nullopt;
  const auto tail = unit.substr(1);
  if (!tail.empty() && !iequals(tail, "b") && !iequals(tail, "ib")) return std::nullopt;
  return std::uint64_t{1} << (10 * (pos + 1));
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  if (text.empty() || iequals(text, "unlimited")) return 0;
  std::size_t i = 0;
  std::uint64_t whole = 0;
  while (i < text.size() && is_digit(text[i])) {
    const auto d = static_cast<std::uint64_t>(text[i] - '0');
    if (whole > (u64_max - d) / 10) return std::nullopt;
    whole = whole * 10 + d;
    ++i;
  }
  if (i == 0) return std::nullopt;  // no sign, no leading '.', no bare unit
  std::string_view frac;
  if (i < text.size() && text[i] == '.') {
    const std::size_t start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    frac = text.substr(start, i - start);
    if (frac.empty()) return std::nullopt;
  }
  if (i < text.size() && text[i] == ' ') {
    if (++i == text.size()) return std::nullopt;  // a space only before a unit
  }
  const auto mult = multiplier(text.substr(i));
  if (!mult) return std::nullopt;
  if (!frac.empty() && *mult == 1) return std::nullopt;  // no fractional bytes

  if (whole > u64_max / *mult) return std::nullopt;
  std::uint64_t bytes = whole * *mult;
  // floor(mult * 0.d1d2..dn), exactly: r = (d_k * mult + r) / 10 from the last digit.
  std::uint64_t part = 0;
  for (auto it = frac.rbegin(); it != frac.rend(); ++it) {
    part = (static_cast<std::uint64_t>(*it - '0') * *mult + part) / 10;
  }
  if (bytes > u64_max - part) return std::nullopt;
  return bytes + part;
}

std::optional<std::uint64_t> parse_rate(std::string_view text) {
  if (text.size() >= 2 && text[text.size() - 2] == '/' && lower(text.back()) == 's') {
    text.remove_suffix(2);
    if (text.empty()) return std::nullopt;  // "/s" alone is not a rate
  }
  return parse_size(text);
}

std::string format_size(std::uint64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static constexpr std::array<std::string_view, 6> names{"KiB", "MiB", "GiB",
                                                         "TiB", "PiB", "EiB"};
  std::size_t k = 0;
  while (k + 1 < names.size() && bytes >= (std::uint64_t{1} << (10 * (k + 2)))) ++k;
  for (;; ++k) {
    const std::uint64_t unit = std::uint64_t{1} << (10 * (k + 1));
    const std::uint64_t q = bytes / unit;
    const std::uint64_t r = bytes % unit;
    // Tenths, rounded half up; r * 10 cannot overflow since r < unit <= 2^60.
    const std::uint64_t tenths = q * 10 + (r * 10 + unit / 2) / unit;
    if (tenths >= 10240 && k + 1 < names.size()) continue;  // 1023.96 KiB -> 1.0 MiB
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " +
           std::string(names[k]);
  }
}

}  // namespace ferry
