// The interactive shell: a libedit prompt "ferry:/dir> " with history (kept
// across sessions, Ctrl-R searches it), tab
// completion of command names, remote paths (listed over the connection) and
// local paths (for lcd/lls), and the same one-line errors as one-shot mode.
// libedit keeps its state in globals, so only one shell may run at a time,
// on the main thread.
#pragma once
#include <ostream>
#include <string>

namespace ferry::client {

class session;

class shell {
 public:
  shell(session& remote, std::ostream& out, std::ostream& err);
  ~shell();
  shell(const shell&) = delete;
  shell& operator=(const shell&) = delete;

  /// Prompts until bye/quit/exit, end of input (Ctrl-D) or Ctrl-C twice
  /// within a second. Errors are printed and the shell goes on; a lost
  /// connection is replaced by a new one (same user and directory). Returns
  /// the exit status: 0, or 1 when the server could not be reached again.
  /// Ctrl-C at the prompt
  /// abandons the line; during a command it cancels the command and the
  /// shell logs in again (session::reconnect) in the same directory.
  int run();

 private:
  /// After a Ctrl-C cancelled a command: says what to do, reconnects if the
  /// socket was cut. False when the session cannot go on.
  bool resume_after_interrupt(const std::string& command);
  /// After the connection was lost: a new one, same user and directory;
  /// says `done` when it worked. False when the server does not take it.
  bool log_in_again(const char* done);
  /// True when the server closed the connection (or said something
  /// unasked) while the prompt waited.
  bool server_hung_up();

  session& remote_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace ferry::client
