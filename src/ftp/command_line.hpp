// FTP control-connection input (RFC 959 §4.1, §5.3): splits the byte stream
// into command lines and a line into verb and argument. Pure: no I/O, fuzzed.
// Limits are checked before buffering: a line longer than max_line is an
// error, never an allocation.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::ftp {

inline constexpr std::size_t max_line = 8192;

class line_splitter {
 public:
  enum class result { need_more, line, too_long };

  /// Appends received bytes.
  void feed(std::string_view bytes);
  /// Extracts the next line (without CRLF / LF) into `out`. After too_long,
  /// the rest of the offending line is skipped up to its newline and
  /// splitting continues (the session answers 500 and carries on).
  result next(std::string& out);

 private:
  std::string buf_;
  bool skipping_ = false;
};

struct command {
  std::string verb;  ///< upper-cased, e.g. "RETR"
  std::string arg;   ///< everything after the first space, as sent
};

/// Parses one line. Telnet IAC sequences (RFC 854, sent by some clients with
/// ABOR) are dropped. nullopt for an empty line or a verb that is not 1-4
/// ASCII letters.
std::optional<command> parse_command(std::string_view line);

}  // namespace ferry::ftp
