// rm -r and rmdir -r: a client-side post-order walk over the ordinary ls, rm
// and rmdir ops. Done in the client rather than as a new server op because
// the server already checks every name it removes (jail, part files, quota
// release per name), the walk is pipelined (a few round trips per level, and
// the deletes in windows), and a user sees each refusal with its path.
#include <algorithm>

#include "client/command_support.hpp"
#include "client/remote_remover.hpp"
#include "client/session.hpp"
#include "client/transfer_context.hpp"
#include "client/transfer_paths.hpp"
#include "client/tree_walk.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::client::detail {

cmd_status remove_tree(command_context& ctx, const std::string& path, bool dir_only) {
  const std::string what = std::string(dir_only ? "rmdir" : "rm") + " -r " + path;
  std::string why;
  const auto normalized = vfs::resolve(ctx.remote.cwd(), path, why);
  if (!normalized) return report(ctx, what, refused(why));
  // SECURITY: "/" is the home itself: never emptied by one typo.
  if (*normalized == "/") return report(ctx, what, refused("refusing to remove / (your home directory)"));
  auto st = ctx.remote.stat(path);
  if (!st) return report(ctx, what, st.error());
  if (st->type != entry_type::dir) {
    // A symlink (even to a directory) is removed itself, never followed.
    if (dir_only) return report(ctx, what, refused("not a directory"));
    if (auto r = ctx.remote.rm(path); !r) return report(ctx, what, r.error());
    return cmd_status::ok;
  }
  auto tree = walk_remote(ctx.remote, path);
  if (!tree) return report(ctx, what, tree.error());

  const transfer_args args;
  transfer_context tc(ctx, args);
  for (const tree_note& n : tree->errors) tc.fail("ls " + join_path(path, n.rel), refused(n.text));
  std::vector<std::pair<std::string, bool>> names;  // (rel, is_dir)
  for (const tree_entry& e : tree->entries) names.emplace_back(e.rel, e.is_dir);
  for (const tree_note& n : tree->skipped) {
    if (n.text == "symbolic link" || n.text == "special file") names.emplace_back(n.rel, false);
    else tc.fail("rm " + join_path(path, n.rel), refused(n.text));
  }
  // Reverse name order puts "a/b" before "a": contents before their directory.
  std::sort(names.begin(), names.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  remote_remover rm(ctx.remote, tc);
  for (const auto& [rel, is_dir] : names)
    if (!rm.add(join_path(path, rel), is_dir)) return tc.status();
  if (rm.add(path, true)) rm.finish();
  return tc.status();
}

}  // namespace ferry::client::detail
