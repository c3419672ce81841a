// FTP control-connection input (RFC 959 §4.1, §5.3): splits the byte stream
// into command lines and a line into verb and argument. Pure: no I/O, fuzzed.
// Limits are checked before buffering: a line longer than max_line is an
// error, never an allocation; lines kept during a transfer are bounded too.
#pragma once
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::ftp {

inline constexpr std::size_t max_line = 8192;
/// Command lines kept while a transfer runs (issue 11): a few pipelined
/// commands fit, a flood does not.
inline constexpr std::size_t max_pending_lines = 32;
inline constexpr std::size_t max_pending_bytes = 16 * 1024;

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

/// Command lines received while a transfer runs, answered after it (only
/// ABOR acts at once). Bounded by max_pending_lines and max_pending_bytes: a
/// line past either bound is dropped and the queue stays overflowed, dropping
/// every later line too (a later command must not be answered when an earlier
/// one was not). The session answers what was kept, then closes with 421.
class pending_lines {
 public:
  /// Keeps `line`; false when it was dropped (overflowed() is then true).
  bool push(std::string line);
  /// The oldest kept line, nullopt when none is left.
  std::optional<std::string> pop();
  /// A line was dropped since the session began.
  bool overflowed() const noexcept { return overflowed_; }

 private:
  std::deque<std::string> lines_;
  std::size_t bytes_ = 0;
  bool overflowed_ = false;
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
