// Runs commands read line by line from a stream: a batch file (`ferry -b`,
// which stops at the first failure, like `sftp -b`) or a non-terminal stdin
// (which goes on after errors). Blank lines and lines whose first non-blank
// character is '#' are skipped; as in sftp, a leading '-' on a line makes its
// failure non-fatal for the batch. With `echo` (ferry -v) each command is
// printed before it runs, as "ferry> COMMAND"; a failure that stops a batch
// names the file, line and command.
#pragma once
#include <istream>
#include <string>

#include "client/commands.hpp"

namespace ferry::client {

enum class on_error { stop, keep_going };

struct script_source {
  std::string name = "stdin";  ///< for messages: the batch file's name
  bool echo = false;           ///< print each command before running it
};

/// Runs every line of `in`. Returns the process exit status: 0 when all
/// commands succeeded (or bye ended the script), 1 when one failed (a usage
/// error or unknown command included), after stopping there if `policy` is
/// stop. A lost connection always stops with 1.
int run_script(command_context& ctx, std::istream& in, on_error policy,
               const script_source& source = {});

}  // namespace ferry::client
