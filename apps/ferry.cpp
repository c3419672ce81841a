// ferry: the command-line client (DESIGN §3). A thin main: parse options with
// CLI11, leave everything after USER@HOST untouched for the command, and hand
// over to ferry::client::run().
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/app.hpp"
#include "client/target.hpp"

namespace {

constexpr const char* usage_text =
    "usage: ferry [OPTIONS] USER@HOST[:PORT]                  interactive shell\n"
    "       ferry [OPTIONS] USER@HOST[:PORT] COMMAND [ARGS]   one command\n"
    "       ferry [OPTIONS] -b FILE USER@HOST[:PORT]          batch file\n"
    "OPTIONS: [-P PORT] [--password-stdin] [--tls | --no-tls] [--ca FILE|system]\n";

class usage_formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override { return usage_text; }
};

int usage_error(const std::string& what) {
  std::cerr << "ferry: " << what << " (try --help)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferry: file-transfer client for ferryd.", "ferry"};
  app.formatter(std::make_shared<usage_formatter>());
  app.footer(
      "The password comes from --password-stdin, else $FERRY_PASSWORD, else a prompt.\n"
      "TLS is required unless HOST is loopback (127.0.0.0/8, ::1, localhost), where it is\n"
      "used when the server offers it. Without --ca the server's certificate is trusted on\n"
      "first use, like ssh's host keys: you are asked once on the terminal, and its\n"
      "fingerprint is pinned in $XDG_CONFIG_HOME/ferry/known_hosts (~/.config/ferry/known_hosts).\n"
      "Commands: ls cd pwd mkdir rmdir rm mv stat quota get put hash exec lcd lls lpwd help bye\n"
      "(see `help`).");
  std::string port_text;
  ferry::client::options opt;
  std::string batch;
  app.add_option("-P,--port", port_text, "server port (default 9021)")->type_name("PORT");
  app.add_flag("--password-stdin", opt.password_stdin, "read the password from the first line of stdin");
  bool tls = false;
  bool no_tls = false;
  app.add_flag("--tls", tls, "require TLS, also on loopback");
  app.add_flag("--no-tls", no_tls, "never use TLS (for debugging on loopback)");
  std::string ca;
  app.add_option("--ca", ca,
                 "check the server's certificate chain and name against the CAs in FILE (PEM)\n"
                 "or the system's ('system') instead of known_hosts; implies --tls")
      ->type_name("FILE|system");
  app.add_option("-b,--batch", batch, "run the commands in FILE ('-' = stdin), stop at the first failure")
      ->type_name("FILE");
  app.set_version_flag("--version", "ferry 0.1.0");
  app.prefix_command();  // the target and the command with its own options stay untouched
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  std::vector<std::string> rest = app.remaining();
  if (!rest.empty() && rest.front() == "--") rest.erase(rest.begin());
  if (rest.empty()) {
    std::cerr << usage_text;
    return 2;
  }
  if (rest.front().size() > 1 && rest.front().front() == '-')
    return usage_error("unknown option '" + rest.front() + "'");
  if (!port_text.empty()) {
    opt.port = ferry::client::parse_port(port_text);
    if (!opt.port) return usage_error("bad port '" + port_text + "'");
  }
  if (app.count("--batch") > 0) opt.batch_file = batch;
  if (tls && no_tls) return usage_error("--tls and --no-tls cannot be combined");
  if (tls) opt.tls = true;
  if (no_tls) opt.tls = false;
  if (app.count("--ca") > 0) {
    if (ca.empty()) return usage_error("--ca needs a file or 'system'");
    opt.ca = ca;
  }
  opt.target = rest.front();
  opt.command.assign(rest.begin() + 1, rest.end());
  return ferry::client::run(opt);
}
