// ferry: the command-line client (ferry(1)). A thin main: parse options with
// CLI11, leave everything after USER@HOST untouched for the command, and hand
// over to ferry::client::run().
#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/app.hpp"
#include "client/ping.hpp"
#include "client/target.hpp"

namespace {

constexpr const char* usage_text =
    "usage: ferry [OPTIONS] USER@HOST[:PORT]                  interactive shell\n"
    "       ferry [OPTIONS] USER@HOST[:PORT] COMMAND [ARGS]   one command\n"
    "       ferry [OPTIONS] -b FILE USER@HOST[:PORT]          batch file\n"
    "       ferry ping [-c COUNT] [-i SECONDS] [-W SECONDS] HOST[:PORT]   UDP status ping\n"
    "OPTIONS: [-P PORT] [--password-stdin] [-v] [--tls | --no-tls] [--ca FILE|system]\n";

class usage_formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override { return usage_text; }
};

int usage_error(const std::string& what) {
  std::cerr << "ferry: " << what << " (try --help)\n";
  return 2;
}

/// `ferry ping ...`: `args` are the words after "ping"; `port` a -P given
/// before it.
int ping_main(std::vector<std::string> args, std::optional<std::uint16_t> port) {
  CLI::App app{"ferry ping: ask a ferryd for its status over UDP (no login): prints the round-trip time,\n"
               "the server's version, uptime, open sessions and load per reply, then a summary.",
               "ferry ping"};
  app.footer(
      "The request goes to the native port (default 9021) over UDP. Exit status: 0 when any\n"
      "reply came, 1 when none did, 2 on usage errors. Ctrl-C stops and prints the summary.\n"
      "Examples:\n"
      "  ferry ping -c 3 files.example.org\n"
      "  ferry ping -c 10 -i 0.2 -W 0.5 127.0.0.1:9021");
  ferry::client::ping_options opt;
  std::string where, port_text;
  app.add_option("-c,--count", opt.count, "stop after COUNT requests, at least 1 (default: until Ctrl-C)")
      ->type_name("COUNT")
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("-i,--interval", opt.interval, "seconds between requests, at least 0.2 (default 1)")
      ->type_name("SECONDS")
      ->check(CLI::Range(ferry::client::min_ping_interval, 3600.0));
  app.add_option("-W,--timeout", opt.timeout, "seconds to wait for each reply (default 1)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.001, 60.0));
  app.add_option("-P,--port", port_text, "server port (default 9021)")->type_name("PORT");
  app.add_option("HOST", where, "server name or address, [V6] for IPv6, optionally :PORT")->required();
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(std::string("ping: ") + e.what());
  }
  std::string why;
  const auto t = ferry::client::parse_target(where, why);
  if (!t) return usage_error("ping: bad host '" + where + "': " + why);
  if (!port_text.empty()) {
    port = ferry::client::parse_port(port_text);
    if (!port) return usage_error("ping: bad port '" + port_text + "'");
  }
  if (port && t->port && *port != *t->port) return usage_error("ping: port given twice");
  opt.host = t->host;
  opt.port = t->port.value_or(port.value_or(9021));
  return ferry::client::run_ping(opt, std::cout, std::cerr);
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
      "Commands: ls cd pwd mkdir rmdir rm mv stat quota get put sync hash exec lcd lls lpwd help bye\n"
      "(see `help`). `ferry ping --help`: the UDP status ping.\n"
      "Examples:\n"
      "  ferry alex@files.example.org                  # shell\n"
      "  ferry alex@files.example.org put -r photos    # one command\n"
      "  ferry -b nightly.txt alex@files.example.org   # batch\n"
      "  ferry ping -c 3 files.example.org             # is it up? (UDP, no login)");
  std::string port_text;
  ferry::client::options opt;
  std::string batch;
  app.add_option("-P,--port", port_text, "server port (default 9021)")->type_name("PORT");
  app.add_flag("--password-stdin", opt.password_stdin, "read the password from the first line of stdin");
  app.add_flag("-v,--verbose", opt.verbose, "print each command of a batch file or piped input before it runs");
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
  if (rest.front() == "ping") {
    std::optional<std::uint16_t> port;
    if (!port_text.empty()) {
      port = ferry::client::parse_port(port_text);
      if (!port) return usage_error("bad port '" + port_text + "'");
    }
    return ping_main({rest.begin() + 1, rest.end()}, port);
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
