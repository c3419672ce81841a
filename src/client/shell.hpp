// The interactive shell: a libedit prompt "ferry:/dir> " with history, tab
// completion of command names, remote paths (listed over the connection) and
// local paths (for lcd/lls), and the same one-line errors as one-shot mode.
// libedit keeps its state in globals, so only one shell may run at a time,
// on the main thread.
#pragma once
#include <ostream>

namespace ferry::client {

class session;

class shell {
 public:
  shell(session& remote, std::ostream& out, std::ostream& err);
  ~shell();
  shell(const shell&) = delete;
  shell& operator=(const shell&) = delete;

  /// Prompts until bye/quit/exit or end of input (Ctrl-D). Errors are printed
  /// and the shell goes on. Returns the exit status: 0, or 1 when the
  /// connection was lost. Ctrl-C at the prompt abandons the line; during a
  /// command it ends the program.
  int run();

 private:
  session& remote_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace ferry::client
