// The system calls a remote command may not make, as a seccomp BPF program
// (installed by the child after PR_SET_NO_NEW_PRIVS, before execve). Landlock
// confines files; this closes what it does not cover:
// - setsid/setpgid: a command must stay in its process group, so a timeout,
//   an output cap or a disconnect kills all of it with one kill(-pgid);
// - socket(): no Unix sockets ever (ROOT/ctl.sock trusts the service user's
//   uid, which commands share), no sockets at all unless the network is
//   allowed; io_uring (its ops bypass seccomp);
// - namespaces, ptrace and process_vm_*, keyrings, bpf, perf, userfaultfd,
//   mount and module calls: nothing a file command needs;
// - System V IPC, POSIX message queues and memfd: memory that escapes
//   RLIMIT_AS, outlives the command or is shared across users (one uid);
// - clone(CLONE_PARENT): a sibling would be ferryd's child, never reaped;
// - fcntl F_SETLEASE/F_NOTIFY: a lease stalls ferryd's own opens of a file.
// Denied calls fail with an errno (EPERM/EACCES; clone3 ENOSYS so libc falls
// back to clone, whose namespace flags are checked); a foreign ABI (x32,
// i386) kills the process.
#pragma once
#include <linux/filter.h>

#include <vector>

namespace ferry::exec {

/// The program for this architecture; empty where ferryd has none
/// (then commands run only unconfined).
std::vector<sock_filter> make_seccomp_filter(bool allow_network);

/// Installs `prog` on the calling thread. Async-signal-safe; 0 or -errno.
int install_seccomp(const std::vector<sock_filter>& prog) noexcept;

}  // namespace ferry::exec
