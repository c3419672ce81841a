// The sftp-style local commands: lcd, lls, lpwd. They never touch the
// connection.
#include <string>
#include <vector>

#include "client/command_support.hpp"
#include "client/listing_format.hpp"
#include "client/local_fs.hpp"

namespace ferry::client::detail {

cmd_status cmd_lcd(command_context& ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) return cmd_status::usage;
  const std::string dir = args.empty() ? std::string() : args[0];
  if (auto r = local_fs::change_dir(dir); !r)
    return report(ctx, dir.empty() ? std::string("lcd") : "lcd " + dir, r.error());
  return cmd_status::ok;
}

cmd_status cmd_lls(command_context& ctx, const std::vector<std::string>& args) {
  std::string flags;
  std::vector<std::string> dirs;
  if (!parse_flags(args, "l", flags, dirs) || dirs.size() > 1) return cmd_status::usage;
  const std::string dir = dirs.empty() ? std::string() : dirs[0];
  auto entries = local_fs::list(dir);
  if (!entries) return report(ctx, dir.empty() ? std::string("lls") : "lls " + dir, entries.error());
  const bool long_format = flags.find('l') != std::string::npos;
  for (const file_entry& e : *entries)
    ctx.out << (long_format ? format_long_entry(e) : printable(e.name)) << '\n';
  return cmd_status::ok;
}

cmd_status cmd_lpwd(command_context& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) return cmd_status::usage;
  auto r = local_fs::current_dir();
  if (!r) return report(ctx, "lpwd", r.error());
  ctx.out << printable(*r) << '\n';
  return cmd_status::ok;
}

}  // namespace ferry::client::detail
