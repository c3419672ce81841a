// The transfer commands: get, put (single files and -r trees) and hash. They
// work out local and remote target names, skip a file the other side already
// has (same size and digest) unless --force, and hand single files to the
// downloader / uploader engines and trees to copy_tree.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
#include "client/tree_copy.hpp"
#include "client/tree_digests.hpp"
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

/// The real name of a local directory given as "." or "..".
std::string real_base_name(const std::string& path) {
  std::string name = base_name(path);
  if (usable_name(name)) return name;
  const std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? base_name(real.get()) : std::string();
}

/// True when local `local` and remote `remote` (a file of `remote_size`
/// bytes) hold the same bytes: same size first, then the server's kept
/// digest against one hashing pass here.
result<bool> same_both_sides(command_context& ctx, const std::string& local, const std::string& remote,
                             std::uint64_t remote_size, const std::string& algo) {
  struct stat st {};
  if (::lstat(local.c_str(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) != remote_size)
    return false;
  auto theirs = ctx.remote.hash(remote, algo);
  if (!theirs) {
    if (theirs.error().fatal) return theirs.error();
    return false;  // the transfer says what is wrong
  }
  const auto ours = local_digest(local, algo);
  return ours && *ours == *theirs;
}

void note_up_to_date(transfer_context& tc, const std::string& target) {
  tc.note(target + ": already there with the same size and digest, not sent (--force sends it)");
}

cmd_status get_tree(command_context& ctx, transfer_context& tc, const std::string& remote,
                    const std::string& local_arg) {
  const std::string root = tree_root(local_arg, base_name(remote));
  if (root.empty()) return report(ctx, "get " + remote, refused("no directory name to copy into; give LOCAL"));
  return copy_tree(ctx, tc, tree_copy_job{copy_direction::download, remote, root, "get"});
}

cmd_status put_tree(command_context& ctx, transfer_context& tc, const std::string& local,
                    const std::string& remote_arg) {
  const std::string root = tree_root(remote_arg, real_base_name(local));
  if (root.empty()) return report(ctx, "put " + local, refused("no directory name to copy into; give REMOTE"));
  return copy_tree(ctx, tc, tree_copy_job{copy_direction::upload, local, root, "put"});
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
  if (!a->force && ::access(target.c_str(), F_OK) == 0) {
    auto st = ctx.remote.stat(remote);
    if (!st && st.error().fatal) return report(ctx, what, st.error());
    if (st && st->type == entry_type::file) {
      auto same = same_both_sides(ctx, target, remote, st->size, a->algo);
      if (!same) return report(ctx, what, same.error());
      if (*same) {
        // The bytes agree; the time should too (as if it had been sent).
        const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(st->mtime), 0}};
        (void)::utimensat(AT_FDCWD, target.c_str(), times, AT_SYMLINK_NOFOLLOW);
        note_up_to_date(tc, target);
        return tc.status();
      }
    }
  }
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
  if (!a->force) {
    auto rst = ctx.remote.stat(target);
    if (!rst && rst.error().fatal) return report(ctx, what, rst.error());
    if (rst && rst->type == entry_type::file) {
      auto same = same_both_sides(ctx, local, target, rst->size, a->algo);
      if (!same) return report(ctx, what, same.error());
      if (*same) {
        note_up_to_date(tc, target);
        return tc.status();
      }
    }
  }
  uploader up(ctx.remote, tc);
  if (up.add(put_item{local, target, false})) up.finish();
  return tc.status();
}

cmd_status cmd_sync(command_context& ctx, const std::vector<std::string>& args) {
  std::string error;
  const auto a = parse_transfer_args(args, true, error, true);
  if (!a) {
    ctx.err << "ferry: " << printable(error) << '\n';
    return cmd_status::usage;
  }
  if (a->operands.size() != 2) return cmd_status::usage;
  const std::string& src = a->operands[0];
  const std::string& dst = a->operands[1];
  const bool down = src.starts_with(':');
  if (down == dst.starts_with(':')) {
    ctx.err << "ferry: sync: mark the remote side with ':' (sync ./dir :/dir uploads, "
               "sync :/dir ./dir downloads)\n";
    return cmd_status::usage;
  }
  // ":" alone is the remote current directory.
  const auto remote_path = [](const std::string& op) {
    return op.size() > 1 ? op.substr(1) : std::string(".");
  };
  transfer_context tc(ctx, *a);
  if (down) {
    const std::string remote = remote_path(src);
    const std::string what = "sync " + remote;
    auto st = ctx.remote.stat(remote);
    if (!st) return report(ctx, what, st.error());
    if (st->type != entry_type::dir) return report(ctx, what, refused("not a directory (use get for a file)"));
    std::string name = base_name(remote);
    if (!usable_name(name)) name = base_name(ctx.remote.cwd());
    const std::string root = tree_root(dst, name);
    if (root.empty()) return report(ctx, what, refused("no directory name to copy into; name LOCAL"));
    return copy_tree(ctx, tc, tree_copy_job{copy_direction::download, remote, root, "sync"});
  }
  const std::string what = "sync " + src;
  if (!is_local_dir(src)) {
    struct stat st {};
    const bool exists = ::stat(src.c_str(), &st) == 0;
    return report(ctx, what, refused(exists ? "not a directory (use put for a file)" : std::strerror(errno)));
  }
  const std::string root = tree_root(remote_path(dst), real_base_name(src));
  if (root.empty()) return report(ctx, what, refused("no directory name to copy into; name REMOTE"));
  return copy_tree(ctx, tc, tree_copy_job{copy_direction::upload, src, root, "sync"});
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
