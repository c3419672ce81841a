// Pure rules of a remote command, apart from the processes: which argv is
// acceptable, where a bare name is found, the environment a command gets
// and how its end reads as a shell exit status.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::exec {

/// The fixed search path for bare command names (never the server's own).
inline constexpr std::string_view search_path = "/usr/local/bin:/usr/bin:/bin";

/// Bounds on a request's argv: the frame limit bounds it already; these
/// make the refusal clear and the spawn cheap.
inline constexpr std::size_t max_args = 1024;

/// Checks `argv` for execve: at least one word, argv[0] not empty, no NUL
/// byte anywhere (execve would cut there). "" or the reason.
std::string check_argv(const std::vector<std::string>& argv);

/// The program to execve for `name`: a name with a '/' as is, else the first
/// entry of search_path where `executable(dir + "/" + name)` holds; nullopt
/// when none does.
std::optional<std::string> resolve(std::string_view name,
                                   const std::function<bool(const std::string&)>& executable);

/// The whole environment of a command: HOME (the home's real path), PATH
/// (search_path), PWD, LANG when given (the client's, else the server's;
/// only a plain locale name is passed), USER and LOGNAME (the ferry user).
/// Nothing of the server's own environment leaks.
std::vector<std::string> environment(const std::string& home, const std::string& pwd,
                                     const std::string& user, std::string_view lang);

/// A locale name safe to pass (letters, digits, '_', '-', '.', '@'; <= 64).
bool plain_locale(std::string_view lang);

/// How a command ended, as a shell reports it: its exit code, or 128+N for
/// signal N.
struct ending {
  int exit_code = 0;
  int signal = 0;  ///< the signal that killed it, 0 when it exited
};
ending from_wait(int code, int status);

/// Signal names a client may send to a running command (INT, TERM, KILL,
/// HUP, QUIT); nullopt for any other.
std::optional<int> signal_by_name(std::string_view name);

}  // namespace ferry::exec
