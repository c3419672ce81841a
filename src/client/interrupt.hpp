// Ctrl-C in the interactive shell. At the prompt it clears the line; while a
// command runs it cancels that command (a transfer keeps its part file) and
// the shell goes on; a second Ctrl-C within a second quits, as does Ctrl-D.
// The connection cannot be stopped cleanly mid-frame (a body's length was
// announced), so a cancel shuts the socket down — every blocking read or
// write ends at once — and the shell logs in again on a new one.
#pragma once

namespace ferry::client {

/// Seconds within which a second Ctrl-C quits.
inline constexpr double double_interrupt_seconds = 1.0;

/// While alive, SIGINT cancels the running command: it is noted and the
/// socket `fd` is shut down (both ways). A second one within
/// double_interrupt_seconds of the previous ends the program (status 130).
/// The previous SIGINT action comes back on destruction.
class command_interrupt {
 public:
  explicit command_interrupt(int fd);
  ~command_interrupt();
  command_interrupt(const command_interrupt&) = delete;
  command_interrupt& operator=(const command_interrupt&) = delete;

  /// True once Ctrl-C cancelled the command.
  bool fired() const noexcept;
};

/// True while a command_interrupt has fired: I/O failures then say
/// "interrupted" instead of blaming the connection.
bool command_interrupted() noexcept;

/// Notes a Ctrl-C at the prompt (from its signal handler); async-signal-safe.
void note_interrupt() noexcept;
/// True when the last two Ctrl-Cs were within double_interrupt_seconds.
bool interrupted_twice() noexcept;

}  // namespace ferry::client
