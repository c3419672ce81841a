// Remote commands: the exec op (docs/protocol.md). The command is prepared and
// started on a filesystem worker (exec/spawn.hpp confines it); then three
// coroutines share the session while it runs, joined with ||:
//   exec_pump     the only writer: output frames as the pipes deliver them,
//                 and replies the reader queued; it ends the run;
//   exec_reader   the only reader: stdin data, signals, a stray request
//                 (answered 400), or the client leaving (kills the group);
//   exec_deadline the wall-clock limit.
// The reader and the deadline only finish when the pump does (cancelled),
// so the run always ends with the command exited and its pipes drained. The
// pump waits on one epoll descriptor holding both pipes, the pidfd and a
// wake-up eventfd: a wait consumes nothing, so nothing is lost to a race.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <deque>
#include <thread>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "exec/command_line.hpp"
#include "exec/landlock.hpp"
#include "exec/seccomp_filter.hpp"
#include "exec/spawn.hpp"
#include "native/native_session.hpp"
#include "proto/request.hpp"
#include "session/server_context.hpp"
#include "session/upload_slots.hpp"
#include "session/use_nothrow.hpp"
#include "session/user_state.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"

namespace ferry::native {
namespace {

using json = nlohmann::json;
using session::use_nothrow;
using namespace asio::experimental::awaitable_operators;

constexpr std::size_t pipe_chunk = 64 * 1024;
constexpr auto kill_grace = std::chrono::seconds(2);    // SIGTERM -> SIGKILL
constexpr auto client_grace = std::chrono::seconds(5);  // SIGKILL -> give up on the client
enum tag : std::uint32_t { tag_out = 1, tag_err = 2, tag_exit = 3, tag_wake = 4 };

/// What this kernel lets ferryd do, probed once.
struct confinement {
  int abi = exec::landlock_abi();
  std::vector<sock_filter> filter_offline = exec::make_seccomp_filter(false);
  std::vector<sock_filter> filter_online = exec::make_seccomp_filter(true);
  bool confined() const { return abi >= exec::confined_abi && !filter_offline.empty(); }
};
const confinement& kernel() {
  static const confinement c;
  return c;
}

/// The request's command line: argv, or cmd for /bin/sh -c. "" or why not.
std::string parse_command(const json& req, std::vector<std::string>& argv) {
  if (const auto a = req.find("argv"); a != req.end()) {
    if (req.contains("cmd")) return "give argv or cmd, not both";
    if (!a->is_array()) return "argv must be an array of strings";
    for (const auto& w : *a) {
      if (!w.is_string()) return "argv must be an array of strings";
      argv.push_back(w.get<std::string>());
    }
  } else if (const auto c = req.find("cmd"); c != req.end()) {
    if (!c->is_string()) return "cmd must be a string";
    argv = {"/bin/sh", "-c", c->get<std::string>()};
  } else {
    return "exec needs argv (an array of strings) or cmd (a string)";
  }
  return exec::check_argv(argv);
}

bool executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

/// A started command and the state its three coroutines share.
struct native_session::command_run {
  std::uint64_t id = 0;
  exec::child_process child;
  bool reaped = false;
  std::uint64_t max_output = 0;
  std::uint64_t sent = 0;   ///< output bytes sent (stdout + stderr)
  bool capped = false;      ///< output past max_output: killed, rest dropped
  bool timed_out = false;
  bool client_gone = false; ///< the connection failed: killed, nothing more sent
  std::deque<json> replies; ///< queued by the reader, sent by the pump
  vfs::unique_fd wake;      ///< eventfd: the reader has queued a reply

  void kill(int sig) const noexcept {
    if (!reaped) exec::signal_group(child.pid, sig);
  }
  void notify() const noexcept {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake.get(), &one, sizeof one);
  }

  command_run() = default;
  command_run(const command_run&) = delete;
  command_run& operator=(const command_run&) = delete;
  ~command_run() {
    if (reaped || child.pid <= 0) return;
    // The session ends with the command still there (server stopping):
    // kill the group, and reap the leader now or, if it is stuck in the
    // kernel, on a thread of its own (never a lasting zombie).
    exec::signal_group(child.pid, SIGKILL);
    int code = 0, status = 0;
    if (exec::reap(child.pidfd.get(), code, status)) return;
    std::thread([fd = child.pidfd.release()] {
      int c = 0, s = 0;
      exec::wait_exit(fd, c, s);
      ::close(fd);
    }).detach();
  }
};

asio::awaitable<bool> native_session::on_exec_stray(std::uint64_t id, const json&, std::uint64_t) {
  co_return co_await send_error(id, errc::bad_request, "no command is running with id " + std::to_string(id));
}

asio::awaitable<bool> native_session::on_exec(std::uint64_t id, const json& req, std::uint64_t) {
  const auto& xc = ctx_.cfg.exec;
  std::vector<std::string> argv;
  proto::fields f(req);
  const bool want_stdin = f.boolean("stdin", false);
  const auto lang = f.opt_str("lang");
  // (No ?: of strings in a coroutine: GCC 12 destroys such temporaries twice.)
  std::string why = f.error();
  if (f.ok()) why = parse_command(req, argv);
  if (!why.empty()) co_return co_await send_error(id, errc::bad_request, why);

  // Refusals are activity too (an account probing for exec shows up).
  auto refuse = [&](errc e, const std::string& message) -> asio::awaitable<bool> {
    actor_.record("exec", {{"argv", argv}, {"result", info(e).error}, {"message", message}});
    co_return co_await send_error(id, e, message);
  };
  // Asked at every exec, so `ferryd user set --no-exec` and a reload take
  // effect for sessions already logged in.
  const auto acct = ctx_.accounts->find(login_.user);
  if (!acct || !acct->exec)
    co_return co_await refuse(errc::exec_not_permitted, "remote execution is not enabled for this account");
  const auto& k = kernel();
  if (::geteuid() == 0)
    co_return co_await refuse(errc::exec_unavailable,
                              "remote execution is unavailable while ferryd serves as root "
                              "(run it as an unprivileged service user)");
  if (!k.confined() && !xc.allow_unconfined)
    co_return co_await refuse(errc::exec_unavailable,
                              "remote execution is unavailable: this kernel cannot confine commands (Landlock ABI " +
                                  std::to_string(k.abi) + ", " + std::to_string(exec::confined_abi) + " needed)");
  // The same two-level count as open uploads (server and user caps).
  const auto slot = session::upload_slot::take(ctx_.commands, xc.max_running, login_.state->commands, xc.max_per_user);
  if (!slot) co_return co_await refuse(errc::too_many_commands, std::string(info(errc::too_many_commands).text));

  // Prepare and start it on a worker: opening the home, the search and the
  // fork may all wait on the disk.
  command_run run;
  run.id = id;
  run.max_output = xc.max_output;
  errc failure = errc::ok;
  std::string detail;
  const auto started_at = clock::now();
  co_await fs([&] {
    vfs::unique_fd home(login_.jail->open_at("/", O_PATH | O_DIRECTORY));
    vfs::unique_fd cwd(login_.jail->open_at(nav_.cwd, O_PATH | O_DIRECTORY));
    if (!home || !cwd) {
      failure = errc_from_errno(home ? -cwd.get() : -home.get());
      detail = nav_.cwd;
      return;
    }
    const auto program = exec::resolve(argv[0], executable_file);
    if (!program) {
      failure = errc::command_not_found;
      detail = argv[0];
      return;
    }
    exec::spawn_request r;
    r.program = *program;
    r.argv = argv;
    const auto real_home = std::filesystem::absolute(ctx_.home_of(login_.user)).lexically_normal().string();
    r.env = exec::environment(real_home, nav_.cwd == "/" ? real_home : real_home + nav_.cwd, login_.user,
                              lang.value_or(std::getenv("LANG") != nullptr ? std::getenv("LANG") : "C.UTF-8"));
    r.cwd_fd = cwd.get();
    r.pipe_stdin = want_stdin;
    r.limits.cpu_seconds = xc.cpu_seconds;
    r.limits.processes = xc.max_processes;
    r.limits.memory = xc.max_memory;
    // Files a command writes bypass the ledger's checks, so the home is
    // measured before every command (one in another session may have
    // written) and a user at a limit runs nothing. One file may then grow to
    // what is left.
    nav_.quota_stale = true;
    const auto q = session::fresh_quota(nav_).get();
    if (q.limit != 0 && q.used + q.reserved >= q.limit) {
      failure = errc::quota_exceeded;
      detail = "delete files before running commands";
      return;
    }
    if (q.max_files != 0 && q.files >= q.max_files) {
      failure = errc::too_many_files;
      detail = "delete files before running commands";
      return;
    }
    if (q.limit != 0) r.limits.file_size = q.limit - q.used - q.reserved;
    vfs::unique_fd ruleset;
    if (k.abi >= 1) {
      ruleset.reset(exec::make_ruleset(k.abi, home.get(), xc.allow_network, detail));
      if (!ruleset) {
        failure = errc::internal;
        return;
      }
    }
    r.ruleset_fd = ruleset.get();
    r.seccomp = xc.allow_network ? &k.filter_online : &k.filter_offline;
    int err = 0;
    auto child = exec::spawn(r, err, detail);
    if (!child) {
      failure = err == EACCES || err == EPERM ? errc::forbidden : err == ENOENT ? errc::command_not_found : errc::internal;
      // A path given by the user: "not there" and "not allowed" read alike,
      // or execve would tell whether a file exists where they cannot look.
      if (argv[0].find('/') != std::string::npos && (failure == errc::forbidden || failure == errc::command_not_found)) {
        failure = errc::forbidden;
        detail = "cannot run " + argv[0];
      }
      return;
    }
    run.child = std::move(*child);
  });
  if (failure != errc::ok) {
    spdlog::info("ferry {}: exec by {} refused: {}", id_, login_.user, describe(failure, detail));
    actor_.record("exec", {{"argv", argv}, {"result", info(failure).error}, {"message", describe(failure, detail)}});
    if (failure == errc::internal) detail = "could not start the command";
    co_return co_await send_failure(id, failure, detail);
  }
  spdlog::info("ferry {}: {} runs {} (pid {})", id_, login_.user, argv[0], run.child.pid);
  ctx_.stats.exec_runs.fetch_add(1, std::memory_order_relaxed);  // ctl stats, /metrics
  // The command may have written files: the ledger re-measures the home
  // before its next charge.
  nav_.quota_stale = true;
  run.wake.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (want_stdin) {
    // The client sends stdin only once the command has started.
    json r = proto::reply(id, 100);
    r["started"] = true;
    if (!co_await send(r) || !co_await flush()) run.client_gone = true;
  }
  if (!run.wake) run.client_gone = true;  // cannot run it safely: kill it below
  if (run.client_gone) run.kill(SIGKILL);

  co_await (exec_pump(run) || exec_reader(run) || exec_deadline(run));

  int code = 0, status = 0;
  if (!exec::reap(run.child.pidfd.get(), code, status)) {
    // The pump only ends once the leader exited; this is a safety net.
    run.kill(SIGKILL);
    co_await fs([&] { exec::wait_exit(run.child.pidfd.get(), code, status); });
  }
  run.reaped = true;
  // And after it, so every session's `quota` sees what it wrote.
  co_await fs([&] { session::fresh_quota(nav_); });
  const auto end = exec::from_wait(code, status);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_at).count();
  spdlog::info("ferry {}: {} ran {}: exit {}{}{} in {} ms, {} bytes of output", id_, login_.user, argv[0],
               end.exit_code, run.timed_out ? " (timed out)" : "", run.capped ? " (output cap)" : "", ms, run.sent);
  actor_.record("exec", {{"argv", argv},
                         {"exit", end.exit_code},
                         {"signal", end.signal},
                         {"timed_out", run.timed_out},
                         {"output_capped", run.capped},
                         {"client_gone", run.client_gone},
                         {"output_bytes", run.sent},
                         {"ms", static_cast<std::int64_t>(ms)}});
  if (run.client_gone) co_return false;
  while (!run.replies.empty()) {
    if (!co_await send(run.replies.front())) co_return false;
    run.replies.pop_front();
  }
  json done = proto::reply(id);
  done["exit_code"] = end.exit_code;
  if (end.signal != 0) done["signal"] = end.signal;
  if (run.timed_out) done["timed_out"] = true;
  if (run.capped) done["output_capped"] = true;
  done["duration_ms"] = ms;
  co_return co_await send(done);
}

asio::awaitable<void> native_session::exec_pump(command_run& run) {
  const auto ex = co_await asio::this_coro::executor;
  vfs::unique_fd ep_fd(::epoll_create1(EPOLL_CLOEXEC));
  auto watch = [&](int fd, tag t) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = t;
    return ::epoll_ctl(ep_fd.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
  };
  if (!ep_fd || !watch(run.child.out.get(), tag_out) || !watch(run.child.err.get(), tag_err) ||
      !watch(run.child.pidfd.get(), tag_exit) || !watch(run.wake.get(), tag_wake)) {
    spdlog::error("ferry {}: exec: epoll: {}", id_, std::strerror(errno));
    run.client_gone = true;  // cannot stream it: kill it (on_exec reaps it)
    run.kill(SIGKILL);
    co_return;
  }
  asio::posix::stream_descriptor events(ex, ep_fd.release());
  bool out_open = true, err_open = true, exited = false;
  std::string buf(pipe_chunk, '\0');

  // One output frame; past the cap the command is killed and the rest dropped.
  auto emit = [&](const char* stream, std::size_t n) -> asio::awaitable<void> {
    if (run.client_gone || run.capped) co_return;
    if (run.sent + n > run.max_output) {
      n = static_cast<std::size_t>(run.max_output - run.sent);
      run.capped = true;
      run.kill(SIGKILL);
    }
    if (n == 0) co_return;
    json h = proto::reply(run.id);
    h["stream"] = stream;
    h["body"] = n;
    out_ += proto::encode_frame(h);
    out_.append(buf.data(), n);
    run.sent += n;
    touch();
    if (!co_await flush()) {
      run.client_gone = true;
      run.kill(SIGKILL);
    }
  };

  while (out_open || err_open || !exited) {
    auto [ec] = co_await events.async_wait(asio::posix::stream_descriptor::wait_read, use_nothrow);
    if (ec) co_return;  // cancelled: the session is going away
    epoll_event evs[4];
    const int ready = ::epoll_wait(events.native_handle(), evs, 4, 0);
    for (int i = 0; i < ready; ++i) {
      switch (evs[i].data.u32) {
        case tag_exit:
          exited = true;
          ::epoll_ctl(events.native_handle(), EPOLL_CTL_DEL, run.child.pidfd.get(), nullptr);
          // What it left running in the background goes with it: nothing
          // outlives the command's end or escapes its limits.
          run.kill(SIGKILL);
          break;
        case tag_wake: {
          std::uint64_t n = 0;
          [[maybe_unused]] auto r = ::read(run.wake.get(), &n, sizeof n);
          while (!run.replies.empty() && !run.client_gone) {
            out_ += proto::encode_frame(run.replies.front());
            run.replies.pop_front();
            if (!co_await flush()) run.client_gone = true;
          }
          break;
        }
        case tag_out:
        case tag_err: {
          const bool is_out = evs[i].data.u32 == tag_out;
          auto& fd = is_out ? run.child.out : run.child.err;
          const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
          if (n > 0) {
            co_await emit(is_out ? "stdout" : "stderr", static_cast<std::size_t>(n));
          } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            ::epoll_ctl(events.native_handle(), EPOLL_CTL_DEL, fd.get(), nullptr);
            fd.reset();
            (is_out ? out_open : err_open) = false;
          }
          break;
        }
      }
    }
  }
}

asio::awaitable<void> native_session::exec_deadline(command_run& run) {
  asio::steady_timer t(co_await asio::this_coro::executor, ctx_.cfg.exec.timeout);
  if (auto [ec] = co_await t.async_wait(use_nothrow); ec) co_return;
  run.timed_out = true;
  run.kill(SIGTERM);
  t.expires_after(kill_grace);
  if (auto [ec] = co_await t.async_wait(use_nothrow); ec) co_return;
  run.kill(SIGKILL);
  // Killed, yet the run goes on: the pump is stuck writing output to a
  // client that does not read. Cut the connection so the slot frees.
  t.expires_after(client_grace);
  if (auto [ec] = co_await t.async_wait(use_nothrow); ec) co_return;
  spdlog::warn("ferry {}: the client does not read the command's output: closing", id_);
  run.client_gone = true;
  asio::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.cancel(ignored);
  t.expires_at(asio::steady_timer::time_point::max());
  co_await t.async_wait(use_nothrow);  // until the pump ends the run
}

asio::awaitable<void> native_session::exec_reader(command_run& run) {
  const auto ex = co_await asio::this_coro::executor;
  std::optional<asio::posix::stream_descriptor> stdin_pipe;
  if (run.child.in) stdin_pipe.emplace(ex, run.child.in.release());
  auto queue = [&](json r) {
    run.replies.push_back(std::move(r));
    run.notify();
  };
  // Stray requests get a 400 each; a client sending them faster than it
  // reads the answers is cut off (kills the command), never buffered.
  constexpr std::size_t max_queued = 16;
  auto wait_forever = [&]() -> asio::awaitable<void> {
    asio::steady_timer t(ex, asio::steady_timer::time_point::max());
    co_await t.async_wait(use_nothrow);
  };
  auto gone = [&] {
    // Disconnecting kills the command.
    run.client_gone = true;
    run.kill(SIGKILL);
  };
  // Writes stdin bytes to the command, waiting while its pipe is full (so a
  // command that does not read holds the client back, not server memory).
  auto feed = [&](std::string_view bytes) -> asio::awaitable<bool> {
    while (!bytes.empty() && stdin_pipe) {
      const ssize_t n = ::write(stdin_pipe->native_handle(), bytes.data(), bytes.size());
      if (n > 0) {
        bytes.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        // The command does not read: wait for room, looking every second
        // whether the client has gone (it cannot be read meanwhile).
        asio::steady_timer tick(ex, std::chrono::seconds(1));
        auto r = co_await (stdin_pipe->async_wait(asio::posix::stream_descriptor::wait_write, use_nothrow) ||
                           tick.async_wait(use_nothrow));
        const auto ec = r.index() == 0 ? std::get<0>(std::get<0>(r)) : std::get<0>(std::get<1>(r));
        if (ec == asio::error::operation_aborted) co_return false;
        char probe;
        const ssize_t peeked = ::recv(socket_.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
        if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EINTR)) {
          gone();
          co_return false;
        }
      } else if (n < 0 && errno != EINTR) {
        stdin_pipe.reset();  // it closed its stdin: the rest is dropped
      }
    }
    co_return true;
  };

  for (;;) {
    json req;
    std::uint64_t body = 0;
    for (;;) {
      const auto r = decoder_.next(req, body);
      if (r == proto::frame_decoder::result::error) {
        gone();
        co_return co_await wait_forever();
      }
      if (r != proto::frame_decoder::result::frame) break;
      touch();
      std::uint64_t rid = 0;
      std::string why;
      const auto env = proto::parse_envelope(req, rid, why);
      const std::string op = env ? env->op : std::string();
      if (env && rid == run.id && op == "exec_input") {
        if (body == 0) stdin_pipe.reset();  // end of input
        while (decoder_.body_remaining() > 0) {
          std::string_view chunk;
          if (decoder_.buffered() > 0) {
            chunk = decoder_.take_body(decoder_.buffered());
          } else {
            const auto want = std::min<std::uint64_t>(decoder_.body_remaining(), 64 * 1024);
            auto [ec, n] = co_await stream_.read_some(asio::buffer(rbuf_.get(), static_cast<std::size_t>(want)));
            if (ec == asio::error::operation_aborted) co_return;
            if (ec) {
              gone();
              co_return co_await wait_forever();
            }
            decoder_.body_read_externally(n);
            chunk = {rbuf_.get(), n};
          }
          if (!co_await feed(chunk)) co_return;
        }
        continue;
      }
      if (env && rid == run.id && op == "exec_signal") {
        proto::fields f(req);
        const auto sig = exec::signal_by_name(f.str("signal"));
        if (sig) run.kill(*sig);
        else queue(proto::error_reply(rid, errc::bad_request, "signal must be INT, TERM, KILL, HUP or QUIT"));
        continue;
      }
      if (run.replies.size() >= max_queued) {
        spdlog::warn("ferry {}: {} stray requests during a command, not reading the replies: closing", id_, max_queued);
        gone();
        co_return co_await wait_forever();
      }
      queue(proto::error_reply(env ? rid : 0, errc::bad_request,
                               "a command is running (id " + std::to_string(run.id) +
                                   "): only its exec_input and exec_signal are read until it ends"));
      if (decoder_.body_remaining() > 0 && !co_await discard_body()) {
        gone();
        co_return co_await wait_forever();
      }
    }
    auto [ec, n] = co_await stream_.read_some(asio::buffer(rbuf_.get(), 64 * 1024));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      gone();
      co_return co_await wait_forever();
    }
    decoder_.feed({rbuf_.get(), n});
  }
}

}  // namespace ferry::native
