// Landlock (Linux 5.13+): the kernel edge that confines a remote command to
// the user's home. A ruleset is built in the server (it opens directories,
// which may block) and applied by the child between fork and execve, where
// only async-signal-safe system calls are allowed.
//
// What a confined command may do: read and execute the system directories
// (/usr, /bin, /lib*, /etc, /opt, /proc: file permissions still apply: a
// command never runs as root, see exec/spawn.hpp), read and write the null,
// zero and random devices, and read, write, create and remove files and
// directories inside the home — but not execute from it, nor make FIFOs,
// sockets or device nodes there (ferryd must never block opening a name a
// command left in a home). Everything else is denied, and with ABI 4+ so is
// TCP bind/connect unless the network is allowed; ABI 6+ also keeps the
// command from signalling or reaching (abstract sockets) anything outside
// its domain — ferryd itself and other users' commands.
#pragma once
#include <string>

namespace ferry::exec {

/// The Landlock ABI version the running kernel offers; 0 when Landlock is
/// missing or disabled.
int landlock_abi() noexcept;

/// The least ABI under which ferryd calls a command confined: 6, the first
/// that scopes signals (below it, a command running as the service user
/// could kill ferryd).
inline constexpr int confined_abi = 6;

/// Builds the ruleset for `home_fd` (an open directory) under `abi`; returns
/// its descriptor (close-on-exec) or -1 with `error` set.
int make_ruleset(int abi, int home_fd, bool allow_network, std::string& error);

/// Applies `ruleset_fd` to the calling thread. Async-signal-safe (for the
/// child after fork); PR_SET_NO_NEW_PRIVS must be set first. 0 or -errno.
int restrict_self(int ruleset_fd) noexcept;

}  // namespace ferry::exec
