// The command table shared by the shell, one-shot mode and batch files: each
// command's name, synopsis, help line, how its arguments complete, and the
// function that runs it. One table instead of an if/else chain, so later
// issues add get/put/hash/exec as rows (with their own .cpp).
#pragma once
#include <cstddef>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::client {

class session;

/// How a command ended. fatal: the connection is gone (the error is printed);
/// quit: the user asked to leave.
enum class cmd_status { ok, failed, usage, fatal, quit };

/// What the shell offers when completing an argument.
enum class arg_completion { none, remote, remote_dir, local, local_dir, command };

/// Where a command prints. `out` gets results, `err` one line per error.
struct command_context {
  session& remote;
  std::ostream& out;
  std::ostream& err;
  /// Set by exec: the remote command's exit status, which one-shot mode
  /// returns as its own.
  std::optional<int> exit_status = std::nullopt;
  /// One command from the command line: its failure shows in the exit
  /// status, so exec need not also print a plain non-zero exit.
  bool one_shot = false;
};

/// Runs a command; `args` exclude the command name.
using command_fn = cmd_status (*)(command_context& ctx, const std::vector<std::string>& args);

struct command {
  std::string_view name;
  std::string_view synopsis;   ///< arguments, e.g. "[-l] [PATH]"
  std::string_view summary;    ///< one line for help
  /// Completion per operand (words not starting with '-'): 'r' remote path,
  /// 'd' remote directory, 'l' local path, 'L' local directory, 'c' command name, '-' nothing; the last letter repeats.
  std::string_view arg_kinds;
  command_fn run;
  bool listed = true;          ///< false for aliases, which help does not list
  /// More lines for "help NAME" (the rules of get/put -r and sync); may be empty.
  std::string_view details = {};
};

/// Every command, in the order help lists them.
std::span<const command> command_table();

/// The command called `name`, or nullptr.
const command* find_command(std::string_view name);

/// Listed and alias names starting with `prefix`, sorted (for completion).
std::vector<std::string> command_names_with_prefix(std::string_view prefix);

/// True for an option whose value is the next word ("--algo"), so
/// completion does not count that value as an operand.
bool option_takes_value(std::string_view word) noexcept;

/// Completion for the operand at `operand_index` (0 = first operand).
arg_completion completion_for(const command& c, std::size_t operand_index);

/// Runs `words` (words[0] is the command name; must not be empty). Prints
/// "ferry: unknown command 'X' (try help)" or "ferry: usage: NAME SYNOPSIS"
/// and returns cmd_status::usage for those.
cmd_status run_command(command_context& ctx, const std::vector<std::string>& words);

/// Process exit status for a command's outcome: 0 ok/quit, 1 failed/fatal,
/// 2 usage.
int exit_code(cmd_status s) noexcept;

}  // namespace ferry::client
