// Splits a shell or batch line into words the way a POSIX shell would for the
// simple cases a file-transfer prompt needs: whitespace separates words,
// '...' is literal, "..." allows \" and \\ inside, and a backslash outside
// quotes escapes the next character. No variables, globs or comments.
// Pure: no I/O, unit-tested in tests/unit/client_tokenize_test.cpp.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace ferry::client {

struct tokenized {
  std::vector<std::string> words;
  std::string error;  ///< empty on success, else e.g. "unterminated quote"
  bool ok() const noexcept { return error.empty(); }
};

/// Splits `line` into words. `""` and `''` give an empty word. On an
/// unterminated quote or a trailing backslash `error` is set and `words`
/// holds what was parsed so far.
tokenized tokenize(std::string_view line);

/// Quotes `word` so that tokenize() gives it back as one word unchanged:
/// returned as is when it needs no quoting, else with a backslash before each
/// special character (whitespace, quotes, backslash). Empty -> "''".
std::string quote_word(std::string_view word);

}  // namespace ferry::client
