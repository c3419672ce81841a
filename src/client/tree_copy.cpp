// The tree copy of get -r, put -r and sync: listings, digests, plan, then
// the plan carried out (or, for a dry run, printed).
#include "client/tree_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "client/downloader.hpp"
#include "client/listing_format.hpp"
#include "client/remote_remover.hpp"
#include "client/session.hpp"
#include "client/sync_plan.hpp"
#include "client/transfer_context.hpp"
#include "client/transfer_paths.hpp"
#include "client/tree_digests.hpp"
#include "client/tree_walk.hpp"
#include "client/uploader.hpp"
#include "proto/units.hpp"

namespace ferry::client {
namespace {

/// Walk entries as plan nodes; with `others`, the symlinks and special files
/// the walk skipped too (a target's: --delete removes them).
std::vector<tree_node> nodes_of(const tree_listing& t, bool others) {
  std::vector<tree_node> out;
  out.reserve(t.entries.size());
  for (const tree_entry& e : t.entries)
    out.push_back({e.rel, e.is_dir ? node_kind::dir : node_kind::file, e.size});
  if (others) {
    for (const tree_note& n : t.skipped)
      if (n.text == "symbolic link" || n.text == "special file") out.push_back({n.rel, node_kind::other, 0});
  }
  return out;
}

bool is_local_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

result<> make_local_dir(const std::string& path) {
  if (::mkdir(path.c_str(), 0777) == 0 || (errno == EEXIST && is_local_dir(path))) return {};
  return refused("cannot create " + path + ": " + std::strerror(errno));
}

/// The copy's current content: empty when its root does not exist yet.
result<tree_listing> list_target(command_context& ctx, const tree_copy_job& job) {
  if (job.direction == copy_direction::download) {
    struct stat st {};
    if (::lstat(job.target.c_str(), &st) != 0) {
      if (errno == ENOENT) return tree_listing{};
      return refused(job.target + ": " + std::strerror(errno));
    }
    if (!is_local_dir(job.target)) return refused(job.target + ": exists and is not a directory");
    return walk_local(job.target);
  }
  auto st = ctx.remote.stat(job.target);
  if (!st) {
    if (st.error().fatal) return st.error();
    return tree_listing{};  // missing (or unreadable: the mkdir says why)
  }
  if (st->type == entry_type::file || st->type == entry_type::other)
    return refused(job.target + ": exists and is not a directory");
  auto tree = walk_remote(ctx.remote, job.target);
  if (!tree) return failure{tree.error().fatal, job.target + ": " + tree.error().text};
  return tree;
}

/// Whether DEST itself (not what it leads to) is a symbolic link.
result<bool> target_is_symlink(command_context& ctx, const tree_copy_job& job) {
  if (job.direction == copy_direction::download) {
    struct stat st {};
    return ::lstat(job.target.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
  }
  auto st = ctx.remote.stat(job.target);
  if (!st) {
    if (st.error().fatal) return st.error();
    return false;
  }
  return st->type == entry_type::link;
}

/// The candidates whose digests agree on both sides.
result<std::set<std::string>> same_files(command_context& ctx, const tree_copy_job& job,
                                         const std::vector<std::string>& candidates,
                                         const std::string& algo) {
  std::set<std::string> same;
  if (candidates.empty()) return same;
  const bool down = job.direction == copy_direction::download;
  const std::string& remote_root = down ? job.source : job.target;
  const std::string& local_root = down ? job.target : job.source;
  auto theirs = remote_digests(ctx.remote, remote_root, candidates, algo);
  if (!theirs) return theirs.error();
  for (const auto& [rel, digest] : *theirs) {
    const auto ours = local_digest(join_path(local_root, rel), algo);
    if (ours && *ours == digest) same.insert(rel);
  }
  return same;
}

std::uint64_t bytes_of(const std::vector<tree_node>& files) {
  std::uint64_t n = 0;
  for (const tree_node& f : files) n += f.size;
  return n;
}

void print_plan(command_context& ctx, const tree_copy_job& job, const sync_plan& plan) {
  for (const removal& r : plan.removals)
    ctx.out << "remove " << printable(join_path(job.target, r.rel)) << (r.is_dir ? "/" : "") << '\n';
  for (const std::string& d : plan.mkdirs) ctx.out << "mkdir " << printable(join_path(job.target, d)) << '\n';
  for (const tree_node& f : plan.sends)
    ctx.out << "send " << printable(join_path(job.target, f.rel)) << " (" << format_size(f.size) << ")\n";
  ctx.out << "dry run: " << plan.sends.size() << " file(s) to send (" << format_size(bytes_of(plan.sends))
          << "), " << plan.up_to_date.size() << " up to date, " << plan.removals.size()
          << " to remove; nothing changed\n";
}

/// Runs the removals; false once the connection is gone.
bool remove_extras(command_context& ctx, transfer_context& tc, const tree_copy_job& job,
                   const sync_plan& plan, std::uint64_t& removed) {
  if (job.direction == copy_direction::upload) {
    remote_remover rm(ctx.remote, tc);
    for (const removal& r : plan.removals)
      if (!rm.add(join_path(job.target, r.rel), r.is_dir)) return false;
    const bool alive = rm.finish();
    removed = rm.removed();
    return alive;
  }
  for (const removal& r : plan.removals) {
    const std::string path = join_path(job.target, r.rel);
    // unlinkat never follows the last component: a symlink goes, not its target.
    if (::unlinkat(AT_FDCWD, path.c_str(), r.is_dir ? AT_REMOVEDIR : 0) == 0) ++removed;
    else tc.fail((r.is_dir ? "rmdir " : "rm ") + path, refused(std::strerror(errno)));
  }
  return true;
}

bool under_any(const std::string& rel, const std::vector<std::string>& dirs) {
  for (const std::string& d : dirs)
    if (rel.size() > d.size() && rel.compare(0, d.size(), d) == 0 && rel[d.size()] == '/') return true;
  return false;
}

void download(command_context& ctx, transfer_context& tc, const tree_copy_job& job, const sync_plan& plan) {
  if (auto r = make_local_dir(job.target); !r) {
    tc.fail(job.verb + " " + job.source, r.error());
    return;
  }
  std::vector<std::string> failed_dirs;
  for (const std::string& d : plan.mkdirs) {
    if (under_any(d, failed_dirs)) continue;
    if (auto r = make_local_dir(join_path(job.target, d)); !r) {
      tc.fail(job.verb + " " + join_path(job.source, d), r.error());
      failed_dirs.push_back(d);
    }
  }
  downloader down(ctx.remote, tc);
  for (const tree_node& f : plan.sends) {
    if (under_any(f.rel, failed_dirs)) continue;
    if (!down.add(get_item{join_path(job.source, f.rel), join_path(job.target, f.rel), f.size})) return;
  }
  down.finish();
}

void upload(command_context& ctx, transfer_context& tc, const tree_copy_job& job, const sync_plan& plan) {
  if (auto r = ctx.remote.mkdir(job.target, true); !r) {
    tc.fail("mkdir " + job.target, r.error());
    return;
  }
  uploader up(ctx.remote, tc);
  for (const std::string& d : plan.mkdirs)
    if (!up.mkdir(join_path(job.target, d))) return;
  for (const tree_node& f : plan.sends)
    if (!up.add(put_item{join_path(job.source, f.rel), join_path(job.target, f.rel), true})) return;
  if (up.finish()) up.report_left_out();
}

}  // namespace

cmd_status copy_tree(command_context& ctx, transfer_context& tc, const tree_copy_job& job) {
  const bool down = job.direction == copy_direction::download;
  auto source = down ? walk_remote(ctx.remote, job.source) : walk_local(job.source);
  if (!source) {
    tc.fail(job.verb + " " + job.source, source.error());
    return tc.status();
  }
  for (const tree_note& n : source->skipped)
    tc.note("skipping " + n.text + " " + join_path(job.source, n.rel));
  for (const tree_note& n : source->errors)
    tc.fail(job.verb + " " + join_path(job.source, n.rel), refused(n.text));

  auto target = list_target(ctx, job);
  if (!target) {
    tc.fail(job.verb + " " + job.source, target.error());
    return tc.status();
  }
  for (const tree_note& n : target->errors)
    tc.fail(job.verb + " " + join_path(job.target, n.rel), refused(n.text));

  const transfer_args& a = tc.args();
  plan_options opt{a.delete_extra, a.force};
  // SECURITY: a source directory that could not be listed looks empty; with
  // --delete its whole copy would go. Delete nothing unless the walk was whole.
  if (opt.delete_extra && !source->errors.empty()) {
    tc.note("not removing anything: the source could not be read completely");
    opt.delete_extra = false;
  }
  // SECURITY: a DEST that is a symlink may lead anywhere in the home (even
  // to "/"): --delete would empty what it points to. Name the directory.
  if (opt.delete_extra) {
    auto link = target_is_symlink(ctx, job);
    if (!link) {
      tc.fail(job.verb + " " + job.target, link.error());
      return tc.status();
    }
    if (*link) {
      tc.fail(job.verb + " " + job.target,
              refused("is a symbolic link; --delete needs the directory itself"));
      return tc.status();
    }
  }
  const auto src_nodes = nodes_of(*source, false);
  const auto dst_nodes = nodes_of(*target, true);
  auto same = same_files(ctx, job, digest_candidates(src_nodes, dst_nodes, opt.force), a.algo);
  if (!same) {
    tc.fail(job.verb + " " + job.source, same.error());
    return tc.status();
  }
  const sync_plan plan = make_plan(src_nodes, dst_nodes, *same, opt);
  for (const plan_conflict& c : plan.conflicts)
    tc.fail(job.verb + " " + join_path(job.source, c.rel), refused(join_path(job.target, c.rel) + " " + c.text));

  if (a.dry_run) {
    print_plan(ctx, job, plan);
    return tc.status();
  }
  std::uint64_t removed = 0;
  if (!remove_extras(ctx, tc, job, plan, removed)) return tc.status();
  if (down) download(ctx, tc, job, plan);
  else upload(ctx, tc, job, plan);

  if (job.verb == "sync" && tc.status() == cmd_status::ok) {
    ctx.out << "sync: " << plan.sends.size() << " file(s) sent (" << format_size(bytes_of(plan.sends))
            << "), " << plan.up_to_date.size() << " up to date, " << removed << " removed\n";
  } else if (job.verb == "sync" && tc.status() == cmd_status::failed) {
    // Not a count of what was sent: some of the planned sends did not land.
    ctx.out << "sync: not complete (see the errors above): " << plan.sends.size()
            << " file(s) were to be sent, " << plan.up_to_date.size() << " up to date, " << removed
            << " removed; run it again to finish\n";
  } else if (!plan.up_to_date.empty() && tc.status() != cmd_status::fatal) {
    tc.note(std::to_string(plan.up_to_date.size()) +
            " file(s) already there with the same size and digest, not sent (--force sends them)");
  }
  return tc.status();
}

}  // namespace ferry::client
