// The ferry program behind apps/ferry.cpp's option parsing: connect (TLS and
// the server's certificate as dialer.hpp says), obtain the password, log in,
// then run the shell, one command or a batch file (ferry(1)). Everything it prints goes to stdout/stderr; it returns the
// process exit status.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ferry::client {

struct options {
  std::string target;                     ///< USER@HOST[:PORT]
  std::optional<std::uint16_t> port;      ///< -P PORT
  bool password_stdin = false;            ///< --password-stdin
  std::optional<bool> tls;                ///< --tls (true), --no-tls (false), else the default
  std::optional<std::string> ca;          ///< --ca FILE|system
  std::optional<std::string> batch_file;  ///< -b FILE ("-" = stdin)
  bool verbose = false;                   ///< -v: echo each batch/piped command
  std::vector<std::string> command;       ///< one-shot command words, may be empty
};

/// Runs the client. Exit status: 0 success, 1 a failed command, login or
/// connection, 2 a usage error.
int run(const options& opt);

}  // namespace ferry::client
