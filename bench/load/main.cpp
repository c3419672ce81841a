// ferry-load: a load generator for ferryd in one process (issue 14). Parses
// the options, runs the measurement, prints the report and the machine lines.
// Exit status: 0 when the run had no error, 1 when some op or login failed,
// 2 on usage or warm-up failure.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "load/load_options.hpp"
#include "load/load_report.hpp"
#include "load/load_run.hpp"

int main(int argc, char** argv) {
  using namespace ferry::load;
  std::vector<std::string> args(argv + 1, argv + argc);
  const auto parsed = parse_load_options(args);
  if (parsed.help) {
    std::fputs(load_usage().c_str(), stdout);
    return 0;
  }
  if (!parsed.options) {
    std::fprintf(stderr, "ferry-load: %s\n", parsed.error.c_str());
    return 2;
  }
  const auto& opts = *parsed.options;
  const char* pw = std::getenv(opts.password_env.c_str());
  if (pw == nullptr) {
    std::fprintf(stderr, "ferry-load: set the password in $%s\n", opts.password_env.c_str());
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a server closing mid-write is an error value, not a signal
  const auto out = run_load(opts, pw);
  if (!out.fatal.empty()) {
    std::fprintf(stderr, "ferry-load: %s\n", out.fatal.c_str());
    return 2;
  }
  if (!opts.quiet) std::fputs(format_report(out.result).c_str(), stdout);
  std::fputs(format_machine(out.result).c_str(), stdout);
  return error_total(out.result) == 0 ? 0 : 1;
}
