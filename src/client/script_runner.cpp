// Line-by-line command execution for batch files and piped stdin.
#include "client/script_runner.hpp"

#include <string>

#include "client/listing_format.hpp"
#include "client/tokenize.hpp"

namespace ferry::client {

int run_script(command_context& ctx, std::istream& in, on_error policy,
               const script_source& source) {
  int status = 0;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string_view text = line;
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos || text[first] == '#') continue;
    text.remove_prefix(first);
    bool may_fail = false;
    if (text.front() == '-') {
      may_fail = true;
      text.remove_prefix(1);
    }
    const tokenized t = tokenize(text);
    if (source.echo) ctx.out << "ferry> " << printable(line.substr(first)) << '\n' << std::flush;
    cmd_status s;
    if (!t.ok()) {
      ctx.err << "ferry: " << t.error << '\n';
      s = cmd_status::usage;
    } else if (t.words.empty()) {
      continue;
    } else {
      s = run_command(ctx, t.words);
    }
    if (s == cmd_status::quit) break;
    const auto where = [&] {
      return printable(source.name) + " line " + std::to_string(number) + " (" +
             printable(std::string(text)) + ")";
    };
    if (s == cmd_status::fatal) {
      ctx.err << "ferry: stopped at " << where() << '\n';
      return 1;
    }
    if (s == cmd_status::ok || may_fail) continue;
    status = 1;
    if (policy == on_error::stop) {
      ctx.err << "ferry: stopped at " << where() << ": it failed\n";
      break;
    }
  }
  return status;
}

}  // namespace ferry::client
