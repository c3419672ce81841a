// exec: runs a command on the server and streams its output back (docs/protocol.md
// exec). stdout and stderr frames go to this program's stdout and stderr as
// they arrive, byte for byte; with -i, local stdin goes to the command.
// Ctrl-C sends the command SIGINT (a second one SIGKILL); the session stays.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/command_support.hpp"
#include "client/connection.hpp"
#include "client/session.hpp"
#include "proto/errc.hpp"

namespace ferry::client::detail {
namespace {

using json = nlohmann::json;

volatile std::sig_atomic_t g_exec_interrupts = 0;
extern "C" void on_exec_interrupt(int) { g_exec_interrupts = g_exec_interrupts + 1; }

/// SIGINT counted (not fatal) while a command runs; the previous handler
/// comes back after. No SA_RESTART, so poll() wakes up at once.
class interrupt_guard {
 public:
  interrupt_guard() {
    g_exec_interrupts = 0;
    struct sigaction sa {};
    sa.sa_handler = on_exec_interrupt;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_);
  }
  ~interrupt_guard() { ::sigaction(SIGINT, &old_, nullptr); }
  interrupt_guard(const interrupt_guard&) = delete;
  interrupt_guard& operator=(const interrupt_guard&) = delete;

 private:
  struct sigaction old_ {};
};

/// The client's locale for the command (LC_ALL, else LC_CTYPE, else LANG).
std::string client_locale() {
  for (const char* v : {"LC_ALL", "LC_CTYPE", "LANG"})
    if (const char* s = std::getenv(v); s != nullptr && *s != '\0') return s;
  return {};
}

}  // namespace

cmd_status cmd_exec(command_context& ctx, const std::vector<std::string>& args) {
  bool with_stdin = false;
  std::size_t first = 0;
  for (; first < args.size() && args[first].starts_with("-"); ++first) {
    if (args[first] == "--") {
      ++first;
      break;
    }
    if (args[first] != "-i") return cmd_status::usage;
    with_stdin = true;
  }
  if (first == args.size()) return cmd_status::usage;
  const std::vector<std::string> argv(args.begin() + static_cast<std::ptrdiff_t>(first), args.end());
  const std::string what = "exec " + argv[0];

  auto& conn = ctx.remote.wire();
  const std::uint64_t id = ctx.remote.new_id();
  json req{{"op", "exec"}, {"id", id}, {"argv", argv}};
  if (with_stdin) req["stdin"] = true;
  if (const auto lang = client_locale(); !lang.empty()) req["lang"] = lang;
  if (auto r = conn.send(req); !r) return report(ctx, what, r.error());

  interrupt_guard guard;
  int interrupts_sent = 0;
  bool started = false, stdin_open = with_stdin;
  std::string body;
  for (;;) {
    // Ctrl-C: SIGINT to the command, then SIGKILL.
    while (interrupts_sent < g_exec_interrupts) {
      json sig{{"op", "exec_signal"}, {"id", id}, {"signal", interrupts_sent == 0 ? "INT" : "KILL"}};
      ++interrupts_sent;
      if (auto r = conn.send(sig); !r) return report(ctx, what, r.error());
    }
    if (!conn.pending()) {
      pollfd p[2] = {{conn.fd(), POLLIN, 0}, {started && stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
      const int n = ::poll(p, 2, -1);
      if (n < 0) {
        if (errno == EINTR) continue;
        return report(ctx, what, broken(std::string("poll: ") + std::strerror(errno)));
      }
      if (p[1].revents != 0) {
        char buf[65536];
        const ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        const std::size_t len = got > 0 ? static_cast<std::size_t>(got) : 0;
        if (len == 0) stdin_open = false;  // EOF (or an error): the command sees its input end
        json in{{"op", "exec_input"}, {"id", id}, {"body", len}};
        if (auto r = conn.send(in, {buf, len}); !r) return report(ctx, what, r.error());
        if (p[0].revents == 0) continue;
      }
    }
    json reply;
    std::uint64_t size = 0;
    const auto status = receive_reply(conn, id, reply, size, true);
    if (!status) return report(ctx, what, status.error());
    if (*status == 100) {
      started = true;
      continue;
    }
    if (*status != 200) {
      // The shell's numbers: 127 not found, 126 found but not runnable.
      const auto err = errc_from_string(reply.value("error", ""));
      ctx.exit_status = err == errc::not_found ? 127 : reply.value("status", 0) == 403 ? 126 : 1;
      // The server's own words say which limit or name (the table's are generic).
      const std::string message = reply_message(reply);
      return report(ctx, what, refused(message.empty() ? reply_text(reply) : message));
    }
    if (const auto stream = reply.find("stream"); stream != reply.end()) {
      std::ostream& out = stream->is_string() && *stream == "stderr" ? ctx.err : ctx.out;
      body.clear();
      while (conn.body_remaining() > 0)
        if (auto r = conn.read_body(body, 65536); !r) return report(ctx, what, r.error());
      out.write(body.data(), static_cast<std::streamsize>(body.size()));
      out.flush();
      continue;
    }
    const auto code = reply.find("exit_code");
    if (code == reply.end() || !code->is_number_integer()) {
      conn.close();
      return report(ctx, what, broken("protocol error: exec reply without exit_code"));
    }
    ctx.out.flush();
    ctx.exit_status = code->get<int>();
    if (reply.value("timed_out", false)) ctx.err << "ferry: " << what << ": timed out on the server (killed)\n";
    if (reply.value("output_capped", false))
      ctx.err << "ferry: " << what << ": output limit reached on the server (killed)\n";
    else if (const int sig = reply.value("signal", 0); sig != 0 && !reply.value("timed_out", false))
      ctx.err << "ferry: " << what << ": killed by signal " << sig << '\n';
    else if (*ctx.exit_status != 0 && !ctx.one_shot)
      ctx.err << "ferry: " << what << ": exit status " << *ctx.exit_status << '\n';
    return *ctx.exit_status == 0 ? cmd_status::ok : cmd_status::failed;
  }
}

}  // namespace ferry::client::detail
