// Decoding typed keys into code points, and cursor positions (characters)
// into byte offsets, for names in any script.
#include <gtest/gtest.h>

#include <string>

#include "client/utf8_text.hpp"

namespace {

using namespace ferry::client;

TEST(ClientUtf8Text, SequenceLengthFromTheLeadByte) {
  EXPECT_EQ(utf8_sequence_length('a'), 1u);
  EXPECT_EQ(utf8_sequence_length(0xC3), 2u);  // é
  EXPECT_EQ(utf8_sequence_length(0xE4), 3u);  // 中
  EXPECT_EQ(utf8_sequence_length(0xF0), 4u);  // emoji
  EXPECT_EQ(utf8_sequence_length(0x80), 0u);  // continuation
  EXPECT_EQ(utf8_sequence_length(0xC0), 0u);  // only overlong forms
  EXPECT_EQ(utf8_sequence_length(0xF5), 0u);  // beyond U+10FFFF
}

TEST(ClientUtf8Text, DecodesAccentedChineseAndEmoji) {
  EXPECT_EQ(decode_utf8_sequence("\xC3\xA9"), U'é');
  EXPECT_EQ(decode_utf8_sequence("\xE4\xB8\xAD"), U'中');
  EXPECT_EQ(decode_utf8_sequence("\xF0\x9F\x98\x80"), U'\U0001F600');
  EXPECT_EQ(decode_utf8_sequence("z"), U'z');
}

TEST(ClientUtf8Text, BadSequencesBecomeTheReplacementCharacter) {
  EXPECT_EQ(decode_utf8_sequence(""), replacement_char);
  EXPECT_EQ(decode_utf8_sequence("\xC3"), replacement_char);            // cut short
  EXPECT_EQ(decode_utf8_sequence("\xC3\x41"), replacement_char);        // not a continuation
  EXPECT_EQ(decode_utf8_sequence("\xE0\x80\xAF"), replacement_char);    // overlong '/'
  EXPECT_EQ(decode_utf8_sequence("\xED\xA0\x80"), replacement_char);    // surrogate
  EXPECT_EQ(decode_utf8_sequence("\xF4\x90\x80\x80"), replacement_char);  // > U+10FFFF
  EXPECT_EQ(decode_utf8_sequence("\x80"), replacement_char);
}

TEST(ClientUtf8Text, CharacterCountsBecomeByteOffsets) {
  const std::string line = "cd caf\xC3\xA9/\xE4\xB8\xAD";  // "cd café/中"
  EXPECT_EQ(utf8_byte_offset(line, 0), 0u);
  EXPECT_EQ(utf8_byte_offset(line, 3), 3u);
  EXPECT_EQ(utf8_byte_offset(line, 7), 8u);    // after é (2 bytes)
  EXPECT_EQ(utf8_byte_offset(line, 8), 9u);    // after '/'
  EXPECT_EQ(utf8_byte_offset(line, 9), 12u);   // after 中 (3 bytes)
  EXPECT_EQ(utf8_byte_offset(line, 50), line.size());
  EXPECT_EQ(utf8_byte_offset("\x80\x80z", 2), 2u);  // stray bytes count one each
  EXPECT_EQ(utf8_byte_offset("\xE4\xB8", 1), 1u);   // a cut sequence: one byte
}

TEST(ClientUtf8Text, ColumnsOnATerminal) {
  EXPECT_EQ(column_width(U'a'), 1u);
  EXPECT_EQ(column_width(U'é'), 1u);
  EXPECT_EQ(column_width(U'中'), 2u);
  EXPECT_EQ(column_width(U'한'), 2u);
  EXPECT_EQ(column_width(U'\U0001F680'), 2u);  // 🚀
  EXPECT_EQ(column_width(0x0301), 0u);         // combining acute
  EXPECT_EQ(column_width(0x200D), 0u);         // zero-width joiner
  EXPECT_EQ(columns("caf\xC3\xA9 \xE4\xB8\xAD"), 7u);
  EXPECT_EQ(columns("\xFF\xFEz"), 3u);  // not UTF-8: one column per byte
}

}  // namespace
