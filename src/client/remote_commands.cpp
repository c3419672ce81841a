// The navigation commands that talk to the server: ls, cd, pwd, mkdir, rmdir,
// rm, mv, stat, quota. Paths go out exactly as typed; the server resolves them.
#include <string>
#include <vector>

#include "client/command_support.hpp"
#include "client/listing_format.hpp"
#include "client/session.hpp"

namespace ferry::client::detail {
namespace {

std::string what(std::string_view cmd, std::string_view arg) {
  std::string s(cmd);
  if (!arg.empty()) s.append(" ").append(arg);
  return s;
}

/// Runs `op` for each path, reporting each failure; stops on a fatal one.
template <class Op>
cmd_status for_each_path(command_context& ctx, std::string_view cmd,
                         const std::vector<std::string>& paths, Op op) {
  if (paths.empty()) return cmd_status::usage;
  cmd_status overall = cmd_status::ok;
  for (const std::string& p : paths) {
    if (auto r = op(p); !r) {
      overall = report(ctx, what(cmd, p), r.error());
      if (overall == cmd_status::fatal) return overall;
    }
  }
  return overall;
}

/// rm -r / rmdir -r of each path; stops on a fatal failure.
cmd_status remove_trees(command_context& ctx, const std::vector<std::string>& paths, bool dir_only) {
  if (paths.empty()) return cmd_status::usage;
  cmd_status overall = cmd_status::ok;
  for (const std::string& p : paths) {
    const cmd_status s = remove_tree(ctx, p, dir_only);
    if (s == cmd_status::fatal) return s;
    if (s != cmd_status::ok) overall = s;
  }
  return overall;
}

}  // namespace

cmd_status cmd_ls(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> paths;
  if (!parse_flags(args, "l", flags, paths) || paths.size() > 1) return cmd_status::usage;
  const std::string path = paths.empty() ? std::string() : paths[0];
  auto entries = ctx.remote.ls(path);
  if (!entries) return report(ctx, what("ls", path), entries.error());
  const bool long_format = flags.find('l') != std::string::npos;
  for (const file_entry& e : *entries)
    ctx.out << (long_format ? format_long_entry(e) : printable(e.name)) << '\n';
  return cmd_status::ok;
}

cmd_status cmd_cd(command_context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return cmd_status::usage;
  const std::string path = args.empty() ? std::string("/") : args[0];
  if (auto r = ctx.remote.cd(path); !r) return report(ctx, what("cd", path), r.error());
  return cmd_status::ok;
}

cmd_status cmd_pwd(command_context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return cmd_status::usage;
  auto r = ctx.remote.pwd();
  if (!r) return report(ctx, "pwd", r.error());
  ctx.out << printable(*r) << '\n';
  return cmd_status::ok;
}

cmd_status cmd_mkdir(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> paths;
  if (!parse_flags(args, "p", flags, paths)) return cmd_status::usage;
  const bool parents = flags.find('p') != std::string::npos;
  return for_each_path(ctx, "mkdir", paths, [&](const std::string& p) -> result<> {
    if (auto r = ctx.remote.mkdir(p, parents); !r) return r.error();
    return {};
  });
}

cmd_status cmd_rmdir(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> paths;
  if (!parse_flags(args, "r", flags, paths)) return cmd_status::usage;
  if (flags.find('r') != std::string::npos) return remove_trees(ctx, paths, true);
  return for_each_path(ctx, "rmdir", paths,
                       [&](const std::string& p) { return ctx.remote.rmdir(p); });
}

cmd_status cmd_rm(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> paths;
  if (!parse_flags(args, "r", flags, paths)) return cmd_status::usage;
  if (flags.find('r') != std::string::npos) return remove_trees(ctx, paths, false);
  return for_each_path(ctx, "rm", paths, [&](const std::string& p) { return ctx.remote.rm(p); });
}

cmd_status cmd_mv(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> paths;
  if (!parse_flags(args, "", flags, paths) || paths.size() != 2) return cmd_status::usage;
  if (auto r = ctx.remote.mv(paths[0], paths[1]); !r)
    return report(ctx, "mv " + paths[0] + " " + paths[1], r.error());
  return cmd_status::ok;
}

cmd_status cmd_stat(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> paths;
  if (!parse_flags(args, "", flags, paths) || paths.size() != 1) return cmd_status::usage;
  auto r = ctx.remote.stat(paths[0]);
  if (!r) return report(ctx, what("stat", paths[0]), r.error());
  for (const std::string& line : format_stat(*r, paths[0])) ctx.out << line << '\n';
  return cmd_status::ok;
}

cmd_status cmd_quota(command_context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return cmd_status::usage;
  auto r = ctx.remote.quota();
  if (!r) return report(ctx, "quota", r.error());
  ctx.out << format_quota(r->used, r->limit) << '\n';
  if (r->files) ctx.out << format_file_count(*r->files, r->max_files) << '\n';
  return cmd_status::ok;
}

}  // namespace ferry::client::detail
