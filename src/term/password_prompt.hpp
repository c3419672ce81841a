// Where the password comes from (ferry(1)): --password-stdin, else the
// FERRY_PASSWORD environment variable, else a no-echo prompt on /dev/tty.
// Never argv. Used by both apps (ferry logs in, ferryd sets passwords), so
// it is its own small library. Failures return nullopt and set `error`.
#pragma once
#include <optional>
#include <string>


namespace ferry::term {

/// Reads one line from fd 0 byte by byte (so nothing after the newline is
/// consumed: batch commands may follow on stdin) and strips "\n" / "\r\n".
/// Fails on EOF before any byte.
std::optional<std::string> read_password_line_from_stdin(std::string& error);

/// Prints `prompt` on /dev/tty, reads a line with echo off, restores the
/// terminal (also when SIGINT/SIGTERM/SIGQUIT/SIGTSTP... arrive: the signal is
/// re-raised after the terminal is restored) and prints the newline the user
/// did not see echoed. Fails when there is no terminal.
std::optional<std::string> prompt_password_on_tty(const std::string& prompt, std::string& error);

/// The precedence ferry(1) documents. `prompt` is used only for the tty prompt.
std::optional<std::string> obtain_password(bool from_stdin, const std::string& prompt, std::string& error);

}  // namespace ferry::term
