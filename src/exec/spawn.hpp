// Starting a remote command: fork, confine, execve. Everything that may
// allocate or block (paths, the environment, the Landlock ruleset, pipes) is
// prepared before fork; between fork and execve the child makes only
// async-signal-safe system calls, in this order:
//   own process group -> stdin/stdout/stderr -> cwd -> default signals ->
//   rlimits -> no_new_privs -> Landlock -> seccomp -> close every other fd
//   -> execve.
// A failure there is reported through a close-on-exec pipe (step, errno),
// so the caller learns "not permitted" or "not found" instead of a bare 127.
// Call it off the event loops: it waits for that pipe to close.
#pragma once
#include <linux/filter.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vfs/unique_fd.hpp"

namespace ferry::exec {

struct resource_limits {
  std::uint64_t cpu_seconds = 0;  ///< RLIMIT_CPU (SIGXCPU, then SIGKILL a second later); 0 = none
  std::optional<std::uint64_t> file_size;  ///< RLIMIT_FSIZE, bytes (0: no writes); none when unset
  std::uint64_t processes = 0;    ///< RLIMIT_NPROC (counts every task of the uid); 0 = none
  std::uint64_t memory = 0;       ///< RLIMIT_AS, bytes; 0 = none
  std::uint64_t open_files = 256; ///< RLIMIT_NOFILE
};

struct spawn_request {
  std::string program;  ///< what execve runs (resolved)
  std::vector<std::string> argv;
  std::vector<std::string> env;
  int cwd_fd = -1;      ///< the directory the command starts in
  int ruleset_fd = -1;  ///< Landlock ruleset, -1 = none
  const std::vector<sock_filter>* seccomp = nullptr;  ///< nullptr = none
  bool pipe_stdin = false;  ///< stdin from a pipe (else /dev/null)
  resource_limits limits;
};

struct child_process {
  pid_t pid = -1;        ///< also its process group id
  vfs::unique_fd pidfd;  ///< readable once it has exited
  vfs::unique_fd out;    ///< its stdout (read end, non-blocking)
  vfs::unique_fd err;    ///< its stderr (read end, non-blocking)
  vfs::unique_fd in;     ///< its stdin (write end, non-blocking) or closed
};

/// Starts the command. nullopt with `err` (an errno) and `error` (which
/// step failed, e.g. "execve /bin/x: Permission denied") when it could not.
std::optional<child_process> spawn(const spawn_request& r, int& err, std::string& error);

/// Sends `sig` to the whole process group. Only while the leader is not yet
/// reaped (its pid, the group's id, cannot be reused until then).
void signal_group(pid_t pgid, int sig) noexcept;

/// Reaps the child if it has exited: true and its wait status fields.
bool reap(int pidfd, int& code, int& status) noexcept;
/// Waits for the child to exit and reaps it (blocks: not on an event loop).
void wait_exit(int pidfd, int& code, int& status) noexcept;

}  // namespace ferry::exec
