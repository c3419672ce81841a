// ferryd: the server binary. A thin main: parses the command line (ferryd(8))
// and calls into src/server.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "auth/scram.hpp"
#include "term/password_prompt.hpp"
#include "server/admin.hpp"
#include "server/ctl_client.hpp"
#include "server/privileges.hpp"
#include "server/self_signed.hpp"
#include "session/config.hpp"
#include "server/server.hpp"

namespace {

using ferry::server::user_options;

int fail(const std::string& msg) {
  std::cerr << "ferryd: " << msg << "\n";
  return 1;
}

/// Password from stdin or a twice-typed no-echo prompt.
std::optional<std::string> get_password(bool from_stdin, const std::string& user) {
  using namespace ferry::term;
  std::string error;
  if (from_stdin) return read_password_line_from_stdin(error);
  auto first = prompt_password_on_tty("New password for " + user + ": ", error);
  if (!first) return std::nullopt;
  auto again = prompt_password_on_tty("Retype password: ", error);
  if (!again || *again != *first) {
    std::cerr << "ferryd: passwords do not match\n";
    return std::nullopt;
  }
  return *first;
}

void add_user_options(CLI::App* cmd, user_options& o, std::string& quota, std::string& rate,
                      std::uint32_t& sessions, std::string& files) {
  cmd->add_option("--quota", quota, "disk quota, e.g. 100MiB (0 = none)");
  cmd->add_option("--max-files", files,
                  "files, directories and links the home may hold (0 = unlimited; 'default' = max_files of ferryd.toml)");
  cmd->add_option("--rate", rate, "bandwidth limit, e.g. 10MiB/s (0 = none)");
  cmd->add_option("--max-sessions", sessions, "concurrent sessions (0 = unlimited)");
  (void)o;
}

void collect(CLI::App* cmd, user_options& o, const std::string& quota, const std::string& rate,
             std::uint32_t sessions, const std::string& files) {
  if (cmd->count("--quota")) o.quota = quota;
  if (cmd->count("--max-files")) o.max_files = files;
  if (cmd->count("--rate")) o.rate = rate;
  if (cmd->count("--max-sessions")) o.max_sessions = sessions;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ferryd: multi-user file-transfer server (native ferry protocol, FTP/FTPS, UDP status)"};
  app.set_version_flag("--version", "ferryd 0.1.0");
  app.require_subcommand(1);
  app.footer("Examples:\n"
             "  ferryd init --root /var/lib/ferry\n"
             "  ferryd user add alex --root /var/lib/ferry --quota 10GiB\n"
             "  ferryd serve --root /var/lib/ferry --listen 0.0.0.0:9021\n"
             "See ferryd(8) and `ferryd COMMAND --help`.");

  std::string root;
  auto* init = app.add_subcommand("init", "create a server root (config, accounts, homes, and a self-signed TLS certificate in ROOT/tls unless --no-tls)");
  init->add_option("--root", root, "server root directory")->required()->type_name("DIR");
  bool no_tls = false;
  init->add_flag("--no-tls", no_tls, "do not create a self-signed TLS certificate (ROOT/tls/)");
  init->footer("Example:\n  ferryd init --root /var/lib/ferry   # then: ferryd user add NAME --root /var/lib/ferry");

  auto* user = app.add_subcommand("user", "manage accounts (ROOT/accounts.toml): add, passwd, del, list, set");
  user->require_subcommand(1);
  std::string name, quota, rate, files;
  std::uint32_t sessions = 0;
  bool pw_stdin = false, remove_home = false, exec_on = false, exec_off = false;
  int iterations = ferry::auth::default_iterations;
  user_options opts;

  auto* add = user->add_subcommand("add", "add a user (creates ROOT/home/NAME)");
  auto* passwd = user->add_subcommand("passwd", "set a new password for an account");
  auto* del = user->add_subcommand("del", "delete an account (and with --remove-home its home)");
  auto* list = user->add_subcommand("list", "list the accounts with their limits");
  auto* set = user->add_subcommand("set", "change an account's limits (quota, rate, sessions, files, exec)");
  for (auto* c : {add, passwd, del, set}) c->add_option("NAME", name, "user name")->required();
  for (auto* c : {add, passwd, del, list, set})
    c->add_option("--root", root, "server root")->required()->type_name("DIR");
  add->footer("Examples:\n"
              "  ferryd user add alex --root /var/lib/ferry --quota 10GiB --max-sessions 4   # asks for a password\n"
              "  printf '%s\\n' \"$PW\" | ferryd user add bo --root /var/lib/ferry --password-stdin --rate 10MiB/s");
  passwd->footer("Example:\n  ferryd user passwd alex --root /var/lib/ferry");
  del->footer("Example:\n  ferryd user del alex --root /var/lib/ferry --remove-home");
  list->footer("Example:\n  ferryd user list --root /var/lib/ferry");
  set->footer("Examples:\n"
              "  ferryd user set alex --root /var/lib/ferry --quota 20GiB\n"
              "  ferryd user set alex --root /var/lib/ferry --max-files default --no-exec\n"
              "Running sessions keep their limits; new logins get the new ones.");
  for (auto* c : {add, passwd}) {
    c->add_flag("--password-stdin", pw_stdin, "read the password from stdin");
    c->add_option("--iterations", iterations, "PBKDF2 iterations of the verifier")
        ->check(CLI::Range(ferry::auth::min_iterations, ferry::auth::max_iterations));
  }
  for (auto* c : {add, set}) {
    add_user_options(c, opts, quota, rate, sessions, files);
    auto* ex = c->add_flag("--exec", exec_on, "allow remote command execution");
    c->add_flag("--no-exec", exec_off, "forbid remote command execution")->excludes(ex);
  }
  del->add_flag("--remove-home", remove_home, "also delete the user's home directory");

  auto* serve = app.add_subcommand("serve", "run the server in the foreground (TLS with ROOT/tls/cert.pem + key.pem, or [tls] in ferryd.toml; logs to stderr, activity to ROOT/log/ferryd.log)");
  std::string listen, config_file, ftp_listen, ftps_listen;
  unsigned threads = 0;
  serve->add_option("--root", root, "server root")->required()->type_name("DIR");
  serve->add_option("--listen", listen, "native protocol address, also UDP status (default 127.0.0.1:9021)")
      ->type_name("HOST:PORT");
  serve->add_option("--ftp-listen", ftp_listen, "FTP front-end address (default: off)")->type_name("HOST:PORT");
  serve->add_option("--ftps-listen", ftps_listen, "implicit FTPS address (default: off; needs TLS)")
      ->type_name("HOST:PORT");
  serve->add_option("--threads", threads, "event loops (default: one per core)")->type_name("N");
  serve->add_option("--config", config_file, "settings file (default ROOT/ferryd.toml)")->type_name("FILE");
  serve->footer("Examples:\n"
                "  ferryd serve --root /var/lib/ferry\n"
                "  ferryd serve --root /var/lib/ferry --listen 0.0.0.0:9021 --ftp-listen 0.0.0.0:2121\n"
                "Signals: SIGHUP reloads accounts and the certificate and reopens ROOT/log/*;\n"
                "SIGTERM drains (transfers get shutdown_timeout), a second one stops at once.");
  bool allow_root = false;
  serve->add_flag("--allow-root", allow_root, "serve as root when ROOT is root's (not recommended)");

  auto* ctl = app.add_subcommand("ctl", "talk to the running server through ROOT/ctl.sock (root or the service user)");
  ctl->add_option("--root", root, "server root")->required();
  ferry::server::ctl_command ctl_cmd;
  ctl->add_flag("--json", ctl_cmd.json, "print the answer as JSON (for scripts)");
  ctl->require_subcommand(1);
  ctl->fallthrough();
  ctl->add_subcommand("sessions", "list the live sessions and their transfers");
  auto* kick = ctl->add_subcommand("kick", "close a session (by ID) or all of a user's sessions now; uploads stay resumable");
  kick->add_option("TARGET", ctl_cmd.target, "session ID or user name")->required();
  ctl->add_subcommand("stats", "counters: sessions, logins, bytes, transfers, uptime");
  ctl->add_subcommand("reload", "like SIGHUP: accounts, TLS certificate, ferryd.toml");
  ctl->add_subcommand("drain", "like SIGTERM: stop accepting, let transfers finish, exit");
  for (auto* c : ctl->get_subcommands({})) c->fallthrough();

  CLI11_PARSE(app, argc, argv);

  if (*ctl) {
    ctl_cmd.op = ctl->get_subcommands().front()->get_name();
    return ferry::server::run_ctl(root, ctl_cmd, std::cout, std::cerr);
  }

  if (*init) {
    if (auto e = ferry::server::init_root(root, !no_tls); !e.empty()) return fail(e);
    std::cout << "initialised " << root << "\n";
    if (!no_tls) {
      const auto cert = std::filesystem::path(root) / "tls" / "cert.pem";
      std::string e;
      const auto fp = ferry::server::cert_fingerprint_sha256(cert, e);
      if (fp.empty()) return fail(e);
      std::cout << "TLS certificate: " << cert.string() << ", SHA256 fingerprint " << fp << "\n";
    }
    std::cout << "add a user: ferryd user add NAME --root " << root << "\n";
    return 0;
  }
  if (*user) {
    std::string e;
    if (*add || *passwd) {
      auto pw = get_password(pw_stdin, name);
      if (!pw) return fail("no password given");
      if (*add) {
        collect(add, opts, quota, rate, sessions, files);
        if (exec_on) opts.exec = true;
        e = ferry::server::user_add(root, name, *pw, iterations, opts);
      } else {
        e = ferry::server::user_passwd(root, name, *pw, iterations);
      }
    } else if (*del) {
      e = ferry::server::user_del(root, name, remove_home);
    } else if (*set) {
      collect(set, opts, quota, rate, sessions, files);
      if (exec_on || exec_off) opts.exec = exec_on;
      e = ferry::server::user_set(root, name, opts);
    } else if (*list) {
      std::cout << ferry::server::user_list(root, e);
    }
    return e.empty() ? 0 : fail(e);
  }

  // serve
  spdlog::set_default_logger(spdlog::stderr_color_mt("ferryd"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  // The same steps at start and at every reload (SIGHUP, ctl reload): the
  // file, then the command line's overrides on top.
  const bool explicit_config = !config_file.empty();
  const bool threads_set = serve->count("--threads") > 0;
  auto load_config = [=](ferry::session::config& cfg, std::string& error) {
    const auto bad = [&](const char* flag, const std::string& value) {
      error = std::string(flag) + " must be HOST:PORT, got '" + value + "'";
      return false;
    };
    cfg = ferry::session::config{};
    cfg.root = root;
    if (!cfg.load(explicit_config ? config_file : (cfg.root / "ferryd.toml").string(), explicit_config, error))
      return false;
    if (!listen.empty()) {
      auto ep = ferry::session::parse_endpoint(listen);
      if (!ep) return bad("--listen", listen);
      cfg.listen = *ep;
    }
    if (threads_set) cfg.threads = threads;
    if (!ftp_listen.empty()) {
      auto ep = ferry::session::parse_endpoint(ftp_listen);
      if (!ep) return bad("--ftp-listen", ftp_listen);
      cfg.ftp.listen = *ep;
    }
    if (!ftps_listen.empty()) {
      auto ep = ferry::session::parse_endpoint(ftps_listen);
      if (!ep) return bad("--ftps-listen", ftps_listen);
      cfg.ftp.implicit_listen = *ep;
    }
    return true;
  };
  ferry::session::config cfg;
  std::string error;
  if (!load_config(cfg, error)) return fail(error);
  try {
    ferry::server::server srv(cfg);
    srv.set_config_loader(load_config);
    // Whom the server will run as decides who owns the admin socket: it is
    // created now (the root may be root's) and given to that account.
    const auto plan = ferry::server::plan_privileges(static_cast<unsigned>(::geteuid()), cfg.user, cfg.root, allow_root);
    srv.bind_ctl(plan.change, plan.uid, plan.gid, plan.change ? plan.uid : static_cast<unsigned>(::geteuid()));
    const auto ep = srv.bind();
    const auto a = ep.address();
    std::printf("ferryd listening on %s:%u\n",
                (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()).c_str(), ep.port());
    if (auto fep = srv.bind_ftp()) {
      const auto fa = fep->address();
      std::printf("ferryd ftp listening on %s:%u\n",
                  (fa.is_v6() ? "[" + fa.to_string() + "]" : fa.to_string()).c_str(), fep->port());
    }
    if (auto fep = srv.bind_ftps()) {
      const auto fa = fep->address();
      std::printf("ferryd ftps listening on %s:%u\n",
                  (fa.is_v6() ? "[" + fa.to_string() + "]" : fa.to_string()).c_str(), fep->port());
    }
    srv.bind_metrics();
    // Listeners are bound (a low port needs root): now become the service user,
    // who must own the logs opened meanwhile (or could not read them, nor
    // reopen them after rotation).
    if (plan.change)
      for (const char* log : {"ferryd.log", "xferlog"})
        if (::chown((cfg.root / "log" / log).c_str(), plan.uid, plan.gid) != 0 && errno != ENOENT)
          spdlog::warn("cannot give {} to {}: {}", (cfg.root / "log" / log).string(), plan.name, std::strerror(errno));
    ferry::server::drop_privileges(plan);
    if (plan.change) spdlog::info("serving as {} (uid {}, gid {}): root privileges dropped", plan.name, plan.uid, plan.gid);
    if (plan.as_root) spdlog::warn("serving as root (--allow-root): every user's files are one bug away from the whole system");
    std::fflush(stdout);
    return srv.run();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
