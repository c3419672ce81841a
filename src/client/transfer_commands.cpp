// The transfer commands: get, put (single files and -r trees) and hash. They
// work out local and remote target names, walk trees, and hand the files to
// the downloader / uploader engines, which do the wire work.
#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "client/command_support.hpp"
#include "client/downloader.hpp"
#include "client/listing_format.hpp"
#include "client/session.hpp"
#include "client/transfer_context.hpp"
#include "client/transfer_paths.hpp"
#include "client/tree_walk.hpp"
#include "client/uploader.hpp"

namespace ferry::client::detail {
namespace {

std::optional<transfer_args> parse(command_context& ctx, const std::vector<std::string>& args,
                                   bool transfer_flags) {
  std::string error;
  auto a = parse_transfer_args(args, transfer_flags, error);
  if (!a) ctx.err << "ferry: " << printable(error) << '\n';
  return a;
}

bool is_local_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

/// Creates local directory `path` unless it already is one.
result<> make_local_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0777) == 0 || (errno == EEXIST && is_local_dir(path))) return {};
  return refused("cannot create " + path + ": " + std::strerror(errno));
}

/// The real name of a local directory given as "." or "..".
std::string real_base_name(const std::string& path) {
  std::string name = base_name(path);
  if (usable_name(name)) return name;
  const std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? base_name(real.get()) : std::string();
}

void report_walk_notes(transfer_context& tc, std::string_view cmd, const std::string& root,
                       const tree_listing& tree) {
  for (const tree_note& n : tree.skipped) tc.note("skipping " + n.text + " " + join_path(root, n.rel));
  for (const tree_note& n : tree.errors)
    tc.fail(std::string(cmd) + " " + join_path(root, n.rel), refused(n.text));
}

bool under_any(const std::string& rel, const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs)
    if (rel.size() > d.size() && rel.compare(0, d.size(), d) == 0 && rel[d.size()] == '/') return true;
  return false;
}

cmd_status get_tree(command_context& ctx, transfer_context& tc, const std::string& remote,
                    const std::string& local_arg) {
  const std::string what = "get " + remote;
  const std::string name = base_name(remote);
  std::string root;
  if (local_arg.empty()) {
    if (!usable_name(name)) return report(ctx, what, refused("no directory name to copy into; give LOCAL"));
    root = name;
  } else if (is_local_dir(local_arg) && usable_name(name)) {
    root = join_path(local_arg, name);
  } else {
    root = local_arg;
  }
  auto tree = walk_remote(ctx.remote, remote);
  if (!tree) return report(ctx, what, tree.error());
  report_walk_notes(tc, "get", remote, *tree);
  if (auto r = make_local_dir(root); !r) {
    tc.fail(what, r.error());
    return tc.status();
  }
  downloader down(ctx.remote, tc);
  std::vector<std::string> failed_dirs;
  for (const tree_entry& e : tree->entries) {
    if (under_any(e.rel, failed_dirs)) continue;
    const std::string local = join_path(root, e.rel);
    if (e.is_dir) {
      if (auto r = make_local_dir(local); !r) {
        tc.fail("get " + join_path(remote, e.rel), r.error());
        failed_dirs.push_back(e.rel);
      }
    } else if (!down.add(get_item{join_path(remote, e.rel), local, e.size})) {
      return tc.status();
    }
  }
  down.finish();
  return tc.status();
}

cmd_status put_tree(command_context& ctx, transfer_context& tc, const std::string& local,
                    const std::string& remote_arg) {
  const std::string what = "put " + local;
  const std::string name = real_base_name(local);
  std::string root;
  if (remote_arg.empty()) {
    if (!usable_name(name)) return report(ctx, what, refused("no directory name to copy into; give REMOTE"));
    root = name;
  } else {
    auto st = ctx.remote.stat(remote_arg);
    if (!st && st.error().fatal) return report(ctx, what, st.error());
    root = st && st->type == entry_type::dir && usable_name(name) ? join_path(remote_arg, name)
                                                                 : remote_arg;
  }
  auto tree = walk_local(local);
  if (!tree) return report(ctx, what, tree.error());
  report_walk_notes(tc, "put", local, *tree);
  if (auto r = ctx.remote.mkdir(root, true); !r) {
    tc.fail("mkdir " + root, r.error());
    return tc.status();
  }
  uploader up(ctx.remote, tc);
  for (const tree_entry& e : tree->entries) {
    const bool ok = e.is_dir ? up.mkdir(join_path(root, e.rel))
                             : up.add(put_item{join_path(local, e.rel), join_path(root, e.rel), true});
    if (!ok) return tc.status();
  }
  if (up.finish()) up.report_left_out();
  return tc.status();
}

}  // namespace

cmd_status cmd_get(command_context& ctx, const std::vector<std::string>& args) {
  const auto a = parse(ctx, args, true);
  if (!a || a->operands.empty() || a->operands.size() > 2) return cmd_status::usage;
  const std::string& remote = a->operands[0];
  const std::string local_arg = a->operands.size() > 1 ? a->operands[1] : std::string();
  const std::string what = "get " + remote;
  transfer_context tc(ctx, *a);

  std::optional<std::uint64_t> size;
  if (a->recursive) {
    auto st = ctx.remote.stat(remote);
    if (!st) return report(ctx, what, st.error());
    if (st->type == entry_type::dir) return get_tree(ctx, tc, remote, local_arg);
    if (st->type == entry_type::file) size = st->size;
  }
  const std::string name = base_name(remote);
  std::string target = local_arg;
  if (local_arg.empty() || has_trailing_slash(local_arg) || is_local_dir(local_arg)) {
    if (!usable_name(name)) return report(ctx, what, refused("no file name to save as; give LOCAL"));
    target = join_path(local_arg, name);
  }
  if (!usable_name(base_name(target)))
    return report(ctx, what, refused("cannot save as " + target));
  if (is_local_dir(target)) return report(ctx, what, refused(target + ": is a directory"));
  downloader down(ctx.remote, tc);
  if (down.add(get_item{remote, target, size})) down.finish();
  return tc.status();
}

cmd_status cmd_put(command_context& ctx, const std::vector<std::string>& args) {
  const auto a = parse(ctx, args, true);
  if (!a || a->operands.empty() || a->operands.size() > 2) return cmd_status::usage;
  const std::string& local = a->operands[0];
  const std::string remote_arg = a->operands.size() > 1 ? a->operands[1] : std::string();
  const std::string what = "put " + local;
  transfer_context tc(ctx, *a);

  struct stat st {};
  if (::stat(local.c_str(), &st) != 0) return report(ctx, what, refused(std::strerror(errno)));
  if (S_ISDIR(st.st_mode)) {
    if (!a->recursive) return report(ctx, what, refused("is a directory (use put -r)"));
    return put_tree(ctx, tc, local, remote_arg);
  }
  const std::string name = base_name(local);
  std::string target = remote_arg;
  if (remote_arg.empty() || has_trailing_slash(remote_arg)) {
    target = join_path(remote_arg, name);
  } else {
    auto rst = ctx.remote.stat(remote_arg);
    if (!rst && rst.error().fatal) return report(ctx, what, rst.error());
    if (rst && rst->type == entry_type::dir) target = join_path(remote_arg, name);
  }
  uploader up(ctx.remote, tc);
  if (up.add(put_item{local, target, false})) up.finish();
  return tc.status();
}

cmd_status cmd_hash(command_context& ctx, const std::vector<std::string>& args) {
  const auto a = parse(ctx, args, false);
  if (!a || a->operands.size() != 1) return cmd_status::usage;
  const std::string& path = a->operands[0];
  auto r = ctx.remote.hash(path, a->algo);
  if (!r) return report(ctx, "hash " + path, r.error());
  ctx.out << printable(*r) << "  " << printable(path) << '\n';
  return cmd_status::ok;
}

}  // namespace ferry::client::detail
