// Internal to the command implementations: the handlers of each .cpp (so
// commands.cpp can put them in its table), option parsing and the one-line
// error report. Not for use outside src/client/*commands*.cpp.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "client/commands.hpp"
#include "client/result.hpp"

namespace ferry::client::detail {

/// Splits `args` into single-letter flags from `allowed` (combinable: "-lp")
/// and operands. "--" ends options; "-" alone is an operand. False on a flag
/// not in `allowed` (the caller returns cmd_status::usage).
bool parse_flags(const std::vector<std::string>& args, std::string_view allowed,
                 std::string& flags, std::vector<std::string>& operands);

/// Prints "ferry: WHAT: TEXT" (or "ferry: TEXT" when fatal) on ctx.err and
/// returns failed or fatal. `what` is "COMMAND ARG", control characters
/// masked.
cmd_status report(command_context& ctx, std::string_view what, const failure& f);

// remote_commands.cpp
cmd_status cmd_ls(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_cd(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_pwd(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_mkdir(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_rmdir(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_rm(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_mv(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_stat(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_quota(command_context& ctx, const std::vector<std::string>& args);

// transfer_commands.cpp
cmd_status cmd_get(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_put(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_hash(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_sync(command_context& ctx, const std::vector<std::string>& args);

// remove_tree.cpp
/// rm -r / rmdir -r of one path: its tree removed deepest first over
/// pipelined rm and rmdir requests (symlinks removed, never followed);
/// refuses the home itself. `dir_only` (rmdir -r): PATH must be a directory.
cmd_status remove_tree(command_context& ctx, const std::string& path, bool dir_only);

// exec_command.cpp
cmd_status cmd_exec(command_context& ctx, const std::vector<std::string>& args);

// local_commands.cpp
cmd_status cmd_lcd(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_lls(command_context& ctx, const std::vector<std::string>& args);
cmd_status cmd_lpwd(command_context& ctx, const std::vector<std::string>& args);

}  // namespace ferry::client::detail
