// One-way copy of a directory tree, shared by get -r, put -r and sync: list
// both sides, ask for digests where sizes match, plan (sync_plan.hpp), then
// remove (sync --delete), make directories and send the files that differ
// through the pipelined downloader / uploader, which resume part files left
// by an interrupted run. Running it twice sends nothing the second time.
#pragma once
#include <string>

#include "client/commands.hpp"

namespace ferry::client {

class transfer_context;

enum class copy_direction { download, upload };

struct tree_copy_job {
  copy_direction direction = copy_direction::download;
  std::string source;  ///< the directory copied: remote (download) or local (upload)
  std::string target;  ///< the copy's root, after tree_root(): local or remote
  std::string verb;    ///< "get", "put" or "sync": starts every message
};

/// Runs the copy; options (force, delete, dry run, algo) come from `tc`.
/// `source` must be a directory. Prints a summary on ctx.out for sync and a
/// note of the files not sent for get / put.
cmd_status copy_tree(command_context& ctx, transfer_context& tc, const tree_copy_job& job);

}  // namespace ferry::client
