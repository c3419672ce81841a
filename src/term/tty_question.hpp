// Talking to the user on the terminal itself (/dev/tty), whatever stdin and
// stdout are: a question answered with an echoed line (ssh's "Are you sure
// you want to continue connecting (yes/no)?"), and a notice. Works while
// stdin carries a password or a batch of commands.
#pragma once
#include <optional>
#include <string>

namespace ferry::term {

/// Prints `question` on /dev/tty and reads one line from it (echoed as
/// typed), without its "\n" / "\r\n". nullopt when the process has no
/// terminal; "" on EOF (Ctrl-D) or a read error.
std::optional<std::string> ask_on_tty(const std::string& question);

/// Prints `text` on /dev/tty; false when there is no terminal.
bool tell_on_tty(const std::string& text);

}  // namespace ferry::term
