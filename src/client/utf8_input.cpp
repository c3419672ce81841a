#include "client/utf8_input.hpp"

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

}  // namespace ferry::client
