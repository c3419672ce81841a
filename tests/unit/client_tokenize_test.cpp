// The shell/batch tokenizer: table-driven cases, error cases, and quote_word
// round-tripping through tokenize.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "client/tokenize.hpp"

namespace {

using ferry::client::quote_word;
using ferry::client::tokenize;
using words = std::vector<std::string>;

TEST(ClientTokenize, SplitsOnWhitespace) {
  struct row {
    const char* line;
    words expect;
  } rows[] = {
      {"", {}},
      {"   \t ", {}},
      {"ls", {"ls"}},
      {"  ls   -l  /a  ", {"ls", "-l", "/a"}},
      {"mkdir\t-p\ta/b", {"mkdir", "-p", "a/b"}},
      {"ls\r", {"ls"}},
  };
  for (const auto& r : rows) {
    const auto t = tokenize(r.line);
    EXPECT_TRUE(t.ok()) << r.line;
    EXPECT_EQ(t.words, r.expect) << r.line;
  }
}

TEST(ClientTokenize, Quotes) {
  struct row {
    const char* line;
    words expect;
  } rows[] = {
      {R"(mkdir "a b")", {"mkdir", "a b"}},
      {R"(mkdir 'a b')", {"mkdir", "a b"}},
      {R"(mv 'it''s' x)", {"mv", "its", "x"}},
      {R"(mv "it's" x)", {"mv", "it's", "x"}},
      {R"(mv 'say "hi"' x)", {"mv", "say \"hi\"", "x"}},
      {R"(cd "a\"b")", {"cd", "a\"b"}},
      {R"(cd "a\\b")", {"cd", "a\\b"}},
      {R"(cd "a\nb")", {"cd", "a\\nb"}},  // other escapes stay literal in "..."
      {R"(cd 'a\b')", {"cd", "a\\b"}},     // nothing escapes in '...'
      {R"(cd a"b c"d)", {"cd", "ab cd"}},  // quotes join with adjacent text
      {R"(rm "" '')", {"rm", "", ""}},
      {R"(rm a"")", {"rm", "a"}},
  };
  for (const auto& r : rows) {
    const auto t = tokenize(r.line);
    EXPECT_TRUE(t.ok()) << r.line << ": " << t.error;
    EXPECT_EQ(t.words, r.expect) << r.line;
  }
}

TEST(ClientTokenize, Backslash) {
  EXPECT_EQ(tokenize(R"(mkdir a\ b)").words, (words{"mkdir", "a b"}));
  EXPECT_EQ(tokenize(R"(rm \'x\")").words, (words{"rm", "'x\""}));
  EXPECT_EQ(tokenize(R"(rm a\\b)").words, (words{"rm", "a\\b"}));
  EXPECT_EQ(tokenize(R"(rm \z)").words, (words{"rm", "z"}));
}

TEST(ClientTokenize, Errors) {
  for (const char* line : {R"(cd "abc)", "cd 'abc", R"(cd "a\")", "cd abc\\"}) {
    const auto t = tokenize(line);
    EXPECT_FALSE(t.ok()) << line;
    EXPECT_FALSE(t.error.empty()) << line;
  }
  EXPECT_EQ(tokenize("cd 'x").error, "unterminated quote");
  EXPECT_EQ(tokenize("cd x\\").error, "trailing backslash");
}

TEST(ClientTokenize, Utf8PassesThrough) {
  EXPECT_EQ(tokenize("mkdir 'Grüße dir' 目录").words, (words{"mkdir", "Grüße dir", "目录"}));
}

TEST(ClientQuoteWord, RoundTrips) {
  for (const std::string w : {"plain", "a b", "it's", "say \"x\"", "back\\slash", "tab\there",
                              "", "new\nline", "-p", "Grüße"}) {
    const auto q = quote_word(w);
    const auto t = tokenize("cmd " + q);
    ASSERT_TRUE(t.ok()) << q;
    ASSERT_EQ(t.words.size(), 2u) << q;
    EXPECT_EQ(t.words[1], w) << q;
  }
  EXPECT_EQ(quote_word("plain"), "plain");
  EXPECT_EQ(quote_word("a b"), "a\\ b");
  EXPECT_EQ(quote_word(""), "''");
}

}  // namespace
