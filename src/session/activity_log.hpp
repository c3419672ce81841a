// The activity log, ROOT/log/ferryd.log beside the xferlog: one line per
// login (accepted, failed, refused), session open and close, and change of
// names (mkdir, rmdir, rm, mv) from either protocol, and whatever else
// records an event through the generic API (exec: argv, exit status,
// duration). `log_format = "text"` writes
//   2026-11-30T14:16:10.123Z login user="alex" peer="127.0.0.1:40000" result="ok"
// and "json" one object per line with the same keys ("time", "event", "user",
// "peer", then the fields). Every string is quoted and escaped (quotes,
// backslashes, control characters, invalid UTF-8), so a hostile file or user
// name can neither end a line nor fake a field.
#pragma once
#include <concepts>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "vfs/unique_fd.hpp"

namespace ferry::session {

enum class log_format { text, json };

/// One field's value: a string, a number, a flag or a list of strings (an
/// argv). Holds views: valid for the record() call it is passed to.
struct activity_value {
  activity_value(std::string_view s) : v(s) {}
  activity_value(const char* s) : v(std::string_view(s)) {}
  activity_value(const std::string& s) : v(std::string_view(s)) {}
  template <std::signed_integral T>
  activity_value(T n) : v(static_cast<std::int64_t>(n)) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  activity_value(T n) : v(static_cast<std::uint64_t>(n)) {}
  activity_value(bool b) : v(b) {}
  activity_value(const std::vector<std::string>& list) : v(std::span<const std::string>(list)) {}

  std::variant<std::string_view, std::int64_t, std::uint64_t, bool, std::span<const std::string>> v;
};

struct activity_field {
  std::string_view key;  ///< a fixed snake_case name chosen by the caller
  activity_value value;
};

/// The line (with its newline) for one event at `when` (UTC). Pure.
std::string activity_line(log_format fmt, const std::timespec& when, std::string_view event, std::string_view user,
                          std::string_view peer, std::span<const activity_field> fields);

/// `s` quoted and escaped as the text format writes it: \" \\ \n \r \t, other
/// control bytes and bytes that are not UTF-8 as \xNN, C1 controls and the
/// Unicode line separators as \uNNNN. Pure.
std::string quote_text(std::string_view s);

/// Appends lines to the file. Thread-safe (sessions on every loop and the
/// filesystem workers record); one write(2) per line, so lines never
/// interleave. A file that cannot be opened costs the log, not the server.
class activity_log {
 public:
  /// Opens (creating the directory and the file, mode 0640) in append mode.
  activity_log(std::filesystem::path file, log_format fmt);

  /// One line: `event` by `user` ("" before login) from `peer`, then `fields`.
  void record(std::string_view event, std::string_view user, std::string_view peer,
              std::initializer_list<activity_field> fields = {});
  void record(std::string_view event, std::string_view user, std::string_view peer,
              std::span<const activity_field> fields);
  /// Opens the file again by its name (after logrotate renamed it: SIGHUP).
  /// False when it cannot; the old file is kept then.
  bool reopen();
  log_format format() const noexcept { return format_; }

 private:
  const std::filesystem::path file_;
  const log_format format_;
  std::mutex mu_;
  vfs::unique_fd fd_;
};

/// Who acts in a session, for its activity lines: set at login, then read
/// from any thread (filesystem workers record the name changes).
struct activity_actor {
  activity_log* log = nullptr;
  std::string_view service;  ///< "ferry", "ftp"
  std::uint64_t session = 0;
  std::string user;
  std::string peer;  ///< "addr:port"

  /// One line with "service" and "session" ahead of `fields`.
  void record(std::string_view event, std::initializer_list<activity_field> fields) const;
  void record(std::string_view event, std::span<const activity_field> fields) const;
};

}  // namespace ferry::session
