// Top-level flow of the ferry client: target, a verified connection,
// password and login, then one of the three modes.
#include "client/app.hpp"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>

#include "client/commands.hpp"
#include "client/connection.hpp"
#include "client/dialer.hpp"
#include "client/known_hosts.hpp"
#include "term/password_prompt.hpp"
#include "client/script_runner.hpp"
#include "client/session.hpp"
#include "client/shell.hpp"
#include "client/target.hpp"
#include "proto/limits.hpp"

namespace ferry::client {
namespace {

std::string local_user() {
  if (const char* u = std::getenv("USER"); u != nullptr && *u != '\0') return u;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr)
    return pw->pw_name;
  return {};
}

int fail(const failure& f) {
  std::cerr << "ferry: " << f.text << '\n';
  return 1;
}

/// `batch` is the opened batch file (null: stdin, or no batch mode).
int run_mode(const options& opt, session& s, std::ifstream* batch) {
  command_context ctx{s, std::cout, std::cerr};
  script_source source{"stdin", opt.verbose};
  if (opt.batch_file) {
    if (batch != nullptr) source.name = *opt.batch_file;
    return run_script(ctx, batch != nullptr ? *batch : std::cin, on_error::stop, source);
  }
  if (!opt.command.empty()) {
    ctx.one_shot = true;
    const auto st = run_command(ctx, opt.command);
    // `ferry HOST exec -- CMD` exits as CMD did.
    return ctx.exit_status && st != cmd_status::fatal ? *ctx.exit_status : exit_code(st);
  }
  if (::isatty(STDIN_FILENO) == 0) return run_script(ctx, std::cin, on_error::keep_going, source);
  shell sh(s, std::cout, std::cerr);
  return sh.run();
}

}  // namespace

int run(const options& opt) {
  std::string why;
  const auto t = parse_target(opt.target, why);
  if (!t) {
    std::cerr << "ferry: bad target '" << opt.target << "': " << why << '\n';
    return 2;
  }
  if (opt.port && t->port && *opt.port != *t->port) {
    std::cerr << "ferry: port given twice (-P " << *opt.port << " and :" << *t->port << ")\n";
    return 2;
  }
  if (opt.batch_file && !opt.command.empty()) {
    std::cerr << "ferry: -b and a command cannot be combined\n";
    return 2;
  }
  if (opt.ca && opt.tls == false) {
    std::cerr << "ferry: --ca and --no-tls cannot be combined\n";
    return 2;
  }
  const std::uint16_t port = t->port.value_or(opt.port.value_or(limits::default_port));
  const std::string user = t->user.empty() ? local_user() : t->user;
  if (user.empty()) {
    std::cerr << "ferry: no user name (use USER@HOST)\n";
    return 2;
  }

  // Open the batch file first: no password prompt or login for a typo.
  std::ifstream batch;
  if (opt.batch_file && *opt.batch_file != "-") {
    batch.open(*opt.batch_file);
    if (!batch) {
      std::cerr << "ferry: cannot open batch file " << *opt.batch_file << ": "
                << std::strerror(errno) << '\n';
      return 1;
    }
  }

  ::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes with write(2)
  tls_plan plan;
  plan.mode = choose_tls_mode(opt.tls, opt.ca.has_value(), t->host);
  plan.ca = opt.ca;
  plan.known_hosts = known_hosts_path(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
  if (plan.mode == tls_mode::off && !is_loopback_host(t->host))
    std::cerr << "ferry: warning: --no-tls: file names and contents cross the network "
                 "unencrypted, and nothing proves who the server is until login\n";

  // The server's certificate is checked before any password is asked for or
  // sent, as ssh does with host keys.
  dialer dial(t->host, port, plan, std::cerr);
  auto conn = dial.dial();
  if (!conn) return fail(conn.error());

  const bool typed = !opt.password_stdin && std::getenv("FERRY_PASSWORD") == nullptr;
  if (typed) conn->close();  // no idle connection while the user types
  // A typed password gets three tries, as ssh gives; a given one only one.
  constexpr int typed_tries = 3;
  std::optional<session> s;
  for (int attempt = 1;; ++attempt) {
    std::string pw_error;
    auto password = term::obtain_password(opt.password_stdin, user + "@" + t->host + "'s password: ", pw_error);
    if (!password) return fail(refused(pw_error));
    if (typed || dial.asked_user()) {
      // The user took their time: the server may have given up on that
      // connection (login timeout). A fresh one is verified the same way
      // (the certificate must be the one just checked or accepted).
      conn = dial.dial();
      if (!conn) return fail(conn.error());
    }
    s.emplace(std::move(*conn));
    if (auto r = s->hello(); !r) return fail(r.error());
    auto login = s->login(user, *password);
    password->assign(password->size(), '\0');
    if (login) break;
    const bool retry = typed && attempt < typed_tries && !login.error().fatal &&
                       login.error().text.find("channel binding") == std::string::npos;
    if (!retry) return fail(login.error());
    std::cerr << "Permission denied, please try again.\n";
    s->bye();
  }
  // A Ctrl-C that cancels a transfer cuts the connection; the shell then
  // logs in again over a new one, checked as this one was.
  s->set_redial([&dial]() { return dial.dial(); });

  const bool interactive =
      !opt.batch_file && opt.command.empty() && ::isatty(STDIN_FILENO) != 0;
  if (interactive) {
    const std::string tls = s->wire().tls_version();
    std::cout << "Connected to " << user << '@' << host_port(t->host, port) << " ("
              << (tls.empty() ? std::string("no TLS") : tls) << ").\n";
  }
  const int status = run_mode(opt, *s, batch.is_open() ? &batch : nullptr);
  s->bye();
  std::cout.flush();
  return status;
}

}  // namespace ferry::client
