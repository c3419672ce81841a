#include "client/utf8_text.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace ferry::client {

std::size_t utf8_sequence_length(unsigned char lead) noexcept {
  if (lead < 0x80) return 1;
  if (lead < 0xC2) return 0;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  if (lead < 0xF5) return 4;
  return 0;
}

char32_t decode_utf8_sequence(std::string_view bytes) noexcept {
  if (bytes.empty()) return replacement_char;
  const auto lead = static_cast<unsigned char>(bytes[0]);
  const std::size_t n = utf8_sequence_length(lead);
  if (n == 0 || n != bytes.size()) return replacement_char;
  if (n == 1) return lead;
  static constexpr unsigned char lead_bits[] = {0, 0, 0x1F, 0x0F, 0x07};
  char32_t cp = lead & lead_bits[n];
  for (std::size_t i = 1; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if ((c & 0xC0) != 0x80) return replacement_char;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return replacement_char;
  return cp;
}

std::size_t utf8_byte_offset(std::string_view s, std::size_t chars) noexcept {
  std::size_t at = 0;
  for (std::size_t i = 0; i < chars && at < s.size(); ++i) {
    std::size_t n = utf8_sequence_length(static_cast<unsigned char>(s[at]));
    if (n == 0 || at + n > s.size()) n = 1;
    at += n;
  }
  return at;
}

std::size_t column_width(char32_t cp) noexcept {
  using range = std::pair<char32_t, char32_t>;
  static constexpr std::array<range, 9> zero{{
      {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF},
      {0x200B, 0x200F}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
  }};
  static constexpr std::array<range, 17> wide{{
      {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x25FD, 0x25FE},
      {0x2614, 0x2615}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
      {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF60},
      {0xFFE0, 0xFFE6}, {0x1F300, 0x3FFFD},
  }};
  const auto in = [cp](const range& r) { return cp >= r.first && cp <= r.second; };
  if (std::any_of(zero.begin(), zero.end(), in)) return 0;
  if (std::any_of(wide.begin(), wide.end(), in)) return 2;
  return 1;
}

std::size_t columns(std::string_view s) noexcept {
  std::size_t n = 0;
  for_each_char(s, [&n](std::string_view, char32_t cp) { n += column_width(cp); });
  return n;
}

}  // namespace ferry::client
