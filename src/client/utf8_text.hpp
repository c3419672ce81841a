// UTF-8 text in the terminal: typing non-ASCII names in the shell, and the
// columns they take on screen (progress bars must not wrap). libedit's readline
// layer takes one *character* per call of its key reader and stores it as a
// wchar_t, so the reader must hand over whole code points, not bytes (bytes
// became separate Latin-1 characters and were dropped when the line was
// encoded back). And the completion callback gets the cursor as a count of
// characters into a line it hands over as UTF-8 bytes.
#pragma once
#include <cstddef>
#include <string_view>

namespace ferry::client {

/// The replacement character, for a byte sequence that is not UTF-8.
inline constexpr char32_t replacement_char = 0xFFFD;

/// Bytes a UTF-8 sequence starting with `lead` has (1..4), or 0 when `lead`
/// cannot start one (a continuation byte, 0xC0/0xC1, 0xF5..0xFF).
std::size_t utf8_sequence_length(unsigned char lead) noexcept;

/// The code point `bytes` (one whole sequence) encodes, or replacement_char
/// for a bad continuation, an overlong form, a surrogate or > U+10FFFF.
char32_t decode_utf8_sequence(std::string_view bytes) noexcept;

/// The byte offset of the character `chars` characters into `s` (the end of
/// `s` when it has fewer). A byte that starts no sequence counts as one.
std::size_t utf8_byte_offset(std::string_view s, std::size_t chars) noexcept;

/// Terminal columns of one code point: 0 for combining marks, zero-width
/// joiners and variation selectors; 2 for East Asian wide and fullwidth
/// characters and emoji; 1 for the rest (as wcwidth() in a UTF-8 locale,
/// without needing one: one-shot mode does not set the locale).
std::size_t column_width(char32_t cp) noexcept;

/// Columns `s` takes (bytes that are not UTF-8 count one each).
std::size_t columns(std::string_view s) noexcept;

/// Calls `f(bytes, code_point)` for each character of `s`: `bytes` is its
/// sequence (a lone byte for one that is not UTF-8, with replacement_char).
template <class F>
void for_each_char(std::string_view s, F f) {
  std::size_t at = 0;
  while (at < s.size()) {
    std::size_t n = utf8_sequence_length(static_cast<unsigned char>(s[at]));
    char32_t cp = replacement_char;
    if (n == 0 || at + n > s.size() || (cp = decode_utf8_sequence(s.substr(at, n))) == replacement_char) n = 1;
    f(s.substr(at, n), cp);
    at += n;
  }
}

}  // namespace ferry::client
