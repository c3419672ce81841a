// Where the shell keeps its history across sessions, and loading/saving it
// (libedit's format) with the file private to the user.
#pragma once
#include <string>

namespace ferry::client {

/// $XDG_STATE_HOME/ferry/history, else $HOME/.local/state/ferry/history
/// (the XDG base directory rules: a relative XDG_STATE_HOME is ignored);
/// empty when neither gives an absolute directory. Pure: the caller passes
/// the environment values (null when unset).
std::string history_path(const char* xdg_state_home, const char* home);

/// Reads `path` into libedit's history (a missing file is an empty history).
void load_history(const std::string& path);

/// Writes libedit's history to `path`, creating its directory (0700) and the
/// file (0600) when needed. False when it could not be written.
bool save_history(const std::string& path);

}  // namespace ferry::client
