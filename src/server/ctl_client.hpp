// The client side of the admin socket, for `ferryd ctl`: one request, one
// reply, blocking (a command-line tool has nothing else to do meanwhile),
// every wait bounded.
#pragma once
#include <filesystem>
#include <iosfwd>
#include <string>

namespace ferry::server {

struct ctl_command {
  std::string op;       ///< sessions, kick, stats, reload, drain
  std::string target;   ///< kick: a session id (digits) or a user name
  bool json = false;    ///< print the reply as JSON, not a table
};

/// Runs `cmd` against ROOT/ctl.sock, printing the answer on `out` and a
/// one-line error on `err`. Returns the exit status: 0 ok, 1 failure (no
/// server, permission denied, refused op), 2 usage.
int run_ctl(const std::filesystem::path& root, const ctl_command& cmd, std::ostream& out, std::ostream& err);

}  // namespace ferry::server
