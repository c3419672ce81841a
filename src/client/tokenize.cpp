// Shell-style word splitting for the interactive prompt and batch files.
#include "client/tokenize.hpp"

namespace ferry::client {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool needs_escape(char c) noexcept {
  return is_space(c) || c == '\'' || c == '"' || c == '\\';
}

}  // namespace

tokenized tokenize(std::string_view line) {
  tokenized out;
  std::string word;
  bool in_word = false;  // true once a word has started, even if it is still empty ("")
  std::size_t i = 0;
  const std::size_t n = line.size();
  while (i < n) {
    const char c = line[i];
    if (is_space(c)) {
      if (in_word) {
        out.words.push_back(std::move(word));
        word.clear();
        in_word = false;
      }
      ++i;
    } else if (c == '\'') {
      in_word = true;
      const auto close = line.find('\'', i + 1);
      if (close == std::string_view::npos) {
        out.error = "unterminated quote";
        return out;
      }
      word.append(line.substr(i + 1, close - i - 1));
      i = close + 1;
    } else if (c == '"') {
      in_word = true;
      ++i;
      bool closed = false;
      while (i < n) {
        const char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d == '\\' && i + 1 < n && (line[i + 1] == '"' || line[i + 1] == '\\')) {
          word.push_back(line[i + 1]);
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      if (!closed) {
        out.error = "unterminated quote";
        return out;
      }
    } else if (c == '\\') {
      if (i + 1 >= n) {
        out.error = "trailing backslash";
        return out;
      }
      in_word = true;
      word.push_back(line[i + 1]);
      i += 2;
    } else {
      in_word = true;
      word.push_back(c);
      ++i;
    }
  }
  if (in_word) out.words.push_back(std::move(word));
  return out;
}

std::string quote_word(std::string_view word) {
  if (word.empty()) return "''";
  std::string out;
  out.reserve(word.size());
  for (const char c : word) {
    if (needs_escape(c)) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace ferry::client
