// The command table, help, and dispatch of one command line.
#include "client/commands.hpp"

#include <algorithm>
#include <array>

#include "client/command_support.hpp"
#include "client/listing_format.hpp"

namespace ferry::client {
namespace {

cmd_status cmd_help(command_context& ctx, const std::vector<std::string>& args);

cmd_status cmd_bye(command_context&, const std::vector<std::string>& args) {
  return args.empty() ? cmd_status::quit : cmd_status::usage;
}

using namespace detail;

constexpr std::string_view tree_rule =
    "  A tree lands at DEST itself: DEST is the copy, made if missing and continued if there,\n"
    "  so running the same command again finishes an interrupted copy instead of nesting a\n"
    "  second one inside it. DEST ending in '/' (or '.' or '..') receives the copy as\n"
    "  DEST/NAME, as a single file would; without DEST the copy is NAME in the current\n"
    "  directory.\n";

constexpr std::string_view same_rule =
    "  A file the other side already has with the same size and digest is not sent (a note\n"
    "  says so); --force sends it anyway. An interrupted transfer resumes from its part file\n"
    "  (--no-resume starts over). The file's modification time is kept.\n";

constexpr std::string_view get_details =
    "  Downloads REMOTE to LOCAL (default: its name in the local directory; an existing\n"
    "  local directory or LOCAL/ receives it under its name).\n";
constexpr std::string_view put_details =
    "  Uploads LOCAL to REMOTE (default: its name in the remote directory; an existing\n"
    "  remote directory or REMOTE/ receives it under its name).\n";
constexpr std::string_view sync_details =
    "  Makes DEST a mirror of the directory SRC. The remote side is written with a leading\n"
    "  ':' (':' alone is the remote directory): sync ./photos :/photos uploads,\n"
    "  sync :/photos ./photos downloads. Files are compared by size and digest (not by\n"
    "  time): only those that differ are sent; with --force all are. --delete also removes\n"
    "  files, directories and symlinks DEST has and SRC does not (inside DEST only);\n"
    "  --dry-run (-n) prints the plan and changes nothing. A second sync of an unchanged\n"
    "  tree sends nothing.\n";
constexpr std::string_view remove_details =
    "  -r removes a directory and everything in it, deepest first. Symbolic links are\n"
    "  removed, never followed; / (the home itself) is refused.\n";

constexpr std::array<command, 22> table{{
    {"ls", "[-l] [PATH]", "list a remote directory (-l: long listing)", "r", cmd_ls},
    {"cd", "[PATH]", "change the remote directory (default /)", "d", cmd_cd},
    {"pwd", "", "print the remote directory", "-", cmd_pwd},
    {"mkdir", "[-p] PATH...", "make remote directories (-p: with parents, no error if present)",
     "r", cmd_mkdir},
    {"rmdir", "[-r] PATH...", "remove empty remote directories (-r: and all they hold)", "r",
     cmd_rmdir, true, remove_details},
    {"rm", "[-r] PATH...", "remove remote files (-r: directories too, and all they hold)", "r",
     cmd_rm, true, remove_details},
    {"mv", "FROM TO", "rename or move a remote file or directory", "r", cmd_mv},
    {"stat", "PATH", "show details of a remote file or directory", "r", cmd_stat},
    {"quota", "", "show disk usage and quota", "-", cmd_quota},
    {"get", "[-r] [--force] [--algo A] [--no-resume] [--progress] REMOTE [LOCAL]",
     "download a file (-r: a directory tree), verified; resumes; skips what LOCAL already has",
     "rl", cmd_get, true, get_details},
    {"put", "[-r] [--force] [--algo A] [--no-resume] [--progress] LOCAL [REMOTE]",
     "upload a file (-r: a directory tree), verified; resumes; skips what REMOTE already has",
     "lr", cmd_put, true, put_details},
    {"sync", "[--delete] [--dry-run|-n] [--force] [--algo A] [--progress] SRC DEST",
     "mirror a tree one way, sending only what differs; the remote side starts with ':'", "ll",
     cmd_sync, true, sync_details},
    {"hash", "[--algo A] PATH", "print the server's digest of a remote file (A: xxh128, sha256, md5)",
     "r", cmd_hash},
    {"exec", "[-i] [--] COMMAND [ARGS...]",
     "run a command on the server in the remote directory (-i: send local stdin to it); "
     "its exit status is exec's. No shell: use exec sh -c '...' for one",
     "-", cmd_exec},
    {"lcd", "[DIR]", "change the local directory (default $HOME)", "L", cmd_lcd},
    {"lls", "[-l] [DIR]", "list a local directory (-l: long listing)", "l", cmd_lls},
    {"lpwd", "", "print the local directory", "-", cmd_lpwd},
    {"help", "[COMMAND]", "list commands, or show how to use one", "c", cmd_help},
    {"bye", "", "end the session (also: quit, exit)", "-", cmd_bye},
    {"quit", "", "end the session", "-", cmd_bye, false},
    {"exit", "", "end the session", "-", cmd_bye, false},
    {"?", "[COMMAND]", "same as help", "c", cmd_help, false},
}};

std::string usage_line(const command& c) {
  std::string s(c.name);
  if (!c.synopsis.empty()) s.append(" ").append(c.synopsis);
  return s;
}

cmd_status cmd_help(command_context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return cmd_status::usage;
  if (args.size() == 1) {
    const command* c = find_command(args[0]);
    if (c == nullptr) {
      ctx.err << "ferry: unknown command '" << printable(args[0]) << "' (try help)\n";
      return cmd_status::failed;
    }
    ctx.out << "usage: " << usage_line(*c) << "\n  " << c->summary << '\n' << c->details;
    if (c->run == cmd_get || c->run == cmd_put)
      ctx.out << "  With -r, DEST below is " << (c->run == cmd_get ? "LOCAL" : "REMOTE") << ".\n"
              << tree_rule << same_rule;
    if (c->run == cmd_sync) ctx.out << tree_rule;
    return cmd_status::ok;
  }
  // Long synopses (get, put) get their summary on the next line instead of
  // pushing every other summary far to the right.
  constexpr std::size_t max_width = 24;
  std::size_t width = 0;
  for (const command& c : table)
    if (c.listed && usage_line(c).size() <= max_width) width = std::max(width, usage_line(c).size());
  ctx.out << "Commands:\n";
  for (const command& c : table) {
    if (!c.listed) continue;
    const std::string u = usage_line(c);
    if (u.size() > width)
      ctx.out << "  " << u << "\n  " << std::string(width + 2, ' ') << c.summary << '\n';
    else
      ctx.out << "  " << u << std::string(width - u.size() + 2, ' ') << c.summary << '\n';
  }
  ctx.out << "Transfers check an xxh128 digest (--algo sha256|md5 to change) and show a progress\n"
             "bar on a terminal (--progress: always).\n";
  return cmd_status::ok;
}

}  // namespace

std::span<const command> command_table() { return table; }

const command* find_command(std::string_view name) {
  const auto it = std::find_if(table.begin(), table.end(),
                               [&](const command& c) { return c.name == name; });
  return it == table.end() ? nullptr : &*it;
}

std::vector<std::string> command_names_with_prefix(std::string_view prefix) {
  std::vector<std::string> out;
  for (const command& c : table)
    if (c.name.substr(0, prefix.size()) == prefix && c.name != "?") out.emplace_back(c.name);
  std::sort(out.begin(), out.end());
  return out;
}

bool option_takes_value(std::string_view word) noexcept { return word == "--algo"; }

arg_completion completion_for(const command& c, std::size_t operand_index) {
  if (c.arg_kinds.empty()) return arg_completion::none;
  const char k = c.arg_kinds[std::min(operand_index, c.arg_kinds.size() - 1)];
  switch (k) {
    case 'r': return arg_completion::remote;
    case 'd': return arg_completion::remote_dir;
    case 'l': return arg_completion::local;
    case 'L': return arg_completion::local_dir;
    case 'c': return arg_completion::command;
    default: return arg_completion::none;
  }
}

cmd_status run_command(command_context& ctx, const std::vector<std::string>& words) {
  const command* c = find_command(words.at(0));
  if (c == nullptr) {
    ctx.err << "ferry: unknown command '" << printable(words[0]) << "' (try help)\n";
    return cmd_status::usage;
  }
  const std::vector<std::string> args(words.begin() + 1, words.end());
  const cmd_status s = c->run(ctx, args);
  if (s == cmd_status::usage) ctx.err << "ferry: usage: " << usage_line(*c) << '\n';
  ctx.out.flush();
  return s;
}

int exit_code(cmd_status s) noexcept {
  switch (s) {
    case cmd_status::ok:
    case cmd_status::quit:
      return 0;
    case cmd_status::usage:
      return 2;
    case cmd_status::failed:
    case cmd_status::fatal:
      break;
  }
  return 1;
}

namespace detail {

bool parse_flags(const std::vector<std::string>& args, std::string_view allowed,
                 std::string& flags, std::vector<std::string>& operands) {
  bool options_done = false;
  for (const std::string& a : args) {
    if (options_done || a.size() < 2 || a[0] != '-') {
      operands.push_back(a);
    } else if (a == "--") {
      options_done = true;
    } else {
      for (std::size_t i = 1; i < a.size(); ++i) {
        if (allowed.find(a[i]) == std::string_view::npos) return false;
        if (flags.find(a[i]) == std::string::npos) flags.push_back(a[i]);
      }
    }
  }
  return true;
}

cmd_status report(command_context& ctx, std::string_view what, const failure& f) {
  ctx.out.flush();
  if (f.fatal) {
    ctx.err << "ferry: " << f.text << '\n';
    return cmd_status::fatal;
  }
  ctx.err << "ferry: " << printable(what) << ": " << f.text << '\n';
  return cmd_status::failed;
}

}  // namespace detail
}  // namespace ferry::client
