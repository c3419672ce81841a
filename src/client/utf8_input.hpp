// The pure half of typing non-ASCII names in the shell. libedit's readline
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

}  // namespace ferry::client
