#include "exec/spawn.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "exec/landlock.hpp"
#include "exec/seccomp_filter.hpp"

namespace ferry::exec {
namespace {

/// Where the child failed, sent back with errno through the status pipe.
enum class step : int { pgid, fds, cwd, signals, limits, no_new_privs, landlock, seccomp, close_fds, execve };

const char* step_name(step s) {
  switch (s) {
    case step::pgid: return "setpgid";
    case step::fds: return "redirecting stdin/stdout/stderr";
    case step::cwd: return "entering the current directory";
    case step::signals: return "resetting signals";
    case step::limits: return "setting resource limits";
    case step::no_new_privs: return "PR_SET_NO_NEW_PRIVS";
    case step::landlock: return "Landlock";
    case step::seccomp: return "seccomp";
    case step::close_fds: return "closing descriptors";
    case step::execve: return "execve";
  }
  return "?";
}

struct report {
  int stage;
  int err;
};

[[noreturn]] void fail(int status_fd, step s, int e) noexcept {
  const report r{static_cast<int>(s), e};
  [[maybe_unused]] auto n = ::write(status_fd, &r, sizeof r);
  ::_exit(127);
}

bool set_limit(int resource, std::uint64_t soft, std::uint64_t hard) noexcept {
  const rlimit l{static_cast<rlim_t>(soft), static_cast<rlim_t>(hard)};
  return ::setrlimit(resource, &l) == 0;
}

/// The child side, between fork and execve. Async-signal-safe calls only.
[[noreturn]] void run_child(const spawn_request& r, char* const* argv, char* const* envp, int in, int out, int err,
                            int status_fd, pid_t server) noexcept {
  if (::setpgid(0, 0) != 0) fail(status_fd, step::pgid, errno);
  // ferryd killed outright takes the command with it (its own children are
  // killed by the group kill of a live ferryd; here nothing is left to).
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != server) fail(status_fd, step::pgid, ESRCH);
  if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail(status_fd, step::fds, errno);
  if (::fchdir(r.cwd_fd) != 0) fail(status_fd, step::cwd, errno);
  // Dispositions set to "ignore" survive execve (ferryd ignores SIGPIPE), and
  // so does the mask: a command starts with the defaults.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);  // SIGKILL/SIGSTOP fail harmlessly
  sigset_t none;
  ::sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail(status_fd, step::signals, errno);
  const auto& l = r.limits;
  // Also no core files, no locked memory, no message queues, few pending
  // signals and file locks: kernel memory a command could pin.
  bool ok = set_limit(RLIMIT_CORE, 0, 0) && set_limit(RLIMIT_NOFILE, l.open_files, l.open_files) &&
            set_limit(RLIMIT_MEMLOCK, 64 * 1024, 64 * 1024) && set_limit(RLIMIT_MSGQUEUE, 0, 0) &&
            set_limit(RLIMIT_SIGPENDING, 1024, 1024) && set_limit(RLIMIT_LOCKS, 1024, 1024);
  if (l.cpu_seconds != 0) ok = ok && set_limit(RLIMIT_CPU, l.cpu_seconds, l.cpu_seconds + 1);
  if (l.file_size) ok = ok && set_limit(RLIMIT_FSIZE, *l.file_size, *l.file_size);
  if (l.processes != 0) ok = ok && set_limit(RLIMIT_NPROC, l.processes, l.processes);
  if (l.memory != 0) ok = ok && set_limit(RLIMIT_AS, l.memory, l.memory);
  if (!ok) fail(status_fd, step::limits, errno);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(status_fd, step::no_new_privs, errno);
  if (r.ruleset_fd >= 0)
    if (const int e = restrict_self(r.ruleset_fd); e != 0) fail(status_fd, step::landlock, -e);
  if (r.seccomp != nullptr && !r.seccomp->empty())
    if (const int e = install_seccomp(*r.seccomp); e != 0) fail(status_fd, step::seccomp, -e);
  // Nothing of the server's survives: sockets, files, the ruleset. The
  // status pipe is close-on-exec, so execve closes it.
  if (::syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) != 0) fail(status_fd, step::close_fds, errno);
  ::execve(r.program.c_str(), argv, envp);
  fail(status_fd, step::execve, errno);
}

bool make_pipe(vfs::unique_fd& read_end, vfs::unique_fd& write_end) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  read_end.reset(p[0]);
  write_end.reset(p[1]);
  return true;
}

bool set_nonblocking(int fd) {
  const int fl = ::fcntl(fd, F_GETFL);
  return fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0;
}

}  // namespace

std::optional<child_process> spawn(const spawn_request& r, int& err, std::string& error) {
  auto sys_fail = [&](const char* what) -> std::optional<child_process> {
    err = errno;
    error = std::string(what) + ": " + std::strerror(err);
    return std::nullopt;
  };
  // argv and envp as execve wants them, built before fork (no allocation after).
  std::vector<char*> argv, envp;
  for (const auto& a : r.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : r.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  vfs::unique_fd in_r, in_w, out_r, out_w, err_r, err_w, st_r, st_w;
  if (r.pipe_stdin) {
    if (!make_pipe(in_r, in_w)) return sys_fail("pipe");
  } else {
    in_r.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!in_r) return sys_fail("open /dev/null");
  }
  if (!make_pipe(out_r, out_w) || !make_pipe(err_r, err_w) || !make_pipe(st_r, st_w)) return sys_fail("pipe");

  const pid_t server = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return sys_fail("fork");
  if (pid == 0) run_child(r, argv.data(), envp.data(), in_r.get(), out_w.get(), err_w.get(), st_w.get(), server);

  // Parent. The group is also set here, so a signal sent right after spawn()
  // returns reaches it even if the child has not run yet (the usual race).
  ::setpgid(pid, pid);
  child_process c;
  c.pid = pid;
  c.pidfd.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  st_w.reset();
  in_r.reset();
  out_w.reset();
  err_w.reset();
  report rep{};
  ssize_t n;
  do n = ::read(st_r.get(), &rep, sizeof rep);
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof rep) || !c.pidfd) {
    // It never ran the command (or we cannot watch it): reap it here.
    if (!c.pidfd) signal_group(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (!c.pidfd) return sys_fail("pidfd_open");
    err = rep.err;
    const auto s = static_cast<step>(rep.stage);
    error = std::string(step_name(s)) + (s == step::execve ? " " + r.program : std::string()) + ": " +
            std::strerror(rep.err);
    return std::nullopt;
  }
  c.out = std::move(out_r);
  c.err = std::move(err_r);
  if (r.pipe_stdin) c.in = std::move(in_w);
  if (!set_nonblocking(c.out.get()) || !set_nonblocking(c.err.get()) || (c.in && !set_nonblocking(c.in.get()))) {
    signal_group(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return sys_fail("fcntl");
  }
  return c;
}

void signal_group(pid_t pgid, int sig) noexcept {
  if (pgid > 0) ::kill(-pgid, sig);
}

bool reap(int pidfd, int& code, int& status) noexcept {
  siginfo_t si{};
  if (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &si, WEXITED | WNOHANG) != 0) return false;
  if (si.si_pid == 0) return false;  // still running
  code = si.si_code;
  status = si.si_status;
  return true;
}

void wait_exit(int pidfd, int& code, int& status) noexcept {
  siginfo_t si{};
  while (::waitid(P_PIDFD, static_cast<id_t>(pidfd), &si, WEXITED) != 0 && errno == EINTR) {}
  code = si.si_code;
  status = si.si_status;
}

}  // namespace ferry::exec
