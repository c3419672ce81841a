// Where the shell keeps its history across sessions, and reading and adding
// to it. One line per command, UTF-8, appended as each command is entered
// (O_APPEND, one write), so shells running at once add to the history instead
// of overwriting each other's; the file is compacted to the last lines when
// it grows well past them. Private to the user (0600 in a 0700 directory),
// never followed through a symlink, and only a regular file is read.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::client {

/// Commands the shell remembers.
inline constexpr std::size_t history_lines = 1000;

/// $XDG_STATE_HOME/ferry/history, else $HOME/.local/state/ferry/history
/// (the XDG base directory rules: a relative XDG_STATE_HOME is ignored);
/// empty when neither gives an absolute directory. Pure: the caller passes
/// the environment values (null when unset).
std::string history_path(const char* xdg_state_home, const char* home);

/// The last `keep` non-empty lines of a history file's text (a first line
/// cut short by reading only the file's end is dropped by the caller).
std::vector<std::string> last_history_lines(std::string_view text, std::size_t keep);

/// Reads `path` into libedit's history (a missing or odd file is an empty
/// history) and compacts it when it holds far more than history_lines.
void load_history(const std::string& path);

/// Adds one command to the file, creating its directory (0700) and the file
/// (0600) when needed. False when it could not be written.
bool append_history_line(const std::string& path, std::string_view line);

}  // namespace ferry::client
