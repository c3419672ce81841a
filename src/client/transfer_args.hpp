// Options of the transfer commands (get, put, sync, hash): -r, --algo A (or
// --algo=A), --no-resume, --progress, --force, and for sync --delete and
// --dry-run (-n); "--" ends options. Pure, unit-tested
// in tests/unit/client_transfer_args_test.cpp.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace ferry::client {

struct transfer_args {
  bool recursive = false;   ///< -r
  bool resume = true;       ///< cleared by --no-resume
  bool progress = false;    ///< --progress: show the bar even off a TTY
  bool force = false;       ///< --force: send files the other side already has
  bool delete_extra = false;  ///< --delete (sync): remove what the source lacks
  bool dry_run = false;     ///< --dry-run, -n (sync): print the plan only
  std::string algo = "xxh128";
  std::vector<std::string> operands;
};

/// Parses `args` (command name excluded). `transfer_flags` allows -r,
/// --no-resume, --progress and --force (get/put); `sync_flags` also
/// --delete, --dry-run and -n (sync); --algo is always allowed. nullopt
/// with `error` set ("unknown option '-x'", "unknown algorithm 'crc'
/// (use xxh128, sha256 or md5)", "option --algo needs a value").
std::optional<transfer_args> parse_transfer_args(const std::vector<std::string>& args,
                                                 bool transfer_flags, std::string& error,
                                                 bool sync_flags = false);

}  // namespace ferry::client
