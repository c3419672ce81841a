#include "exec/seccomp_filter.hpp"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace ferry::exec {
namespace {

#if defined(__x86_64__)
constexpr std::uint32_t native_arch = AUDIT_ARCH_X86_64;
constexpr std::uint32_t x32_bit = 0x40000000u;  // x32 system calls share the arch
#elif defined(__aarch64__)
constexpr std::uint32_t native_arch = AUDIT_ARCH_AARCH64;
constexpr std::uint32_t x32_bit = 0;
#else
constexpr std::uint32_t native_arch = 0;
constexpr std::uint32_t x32_bit = 0;
#endif

constexpr std::uint32_t nr_offset = offsetof(seccomp_data, nr);
constexpr std::uint32_t arch_offset = offsetof(seccomp_data, arch);
// Low 32 bits of argument 0 (little-endian: the first word).
constexpr std::uint32_t arg0_offset = offsetof(seccomp_data, args);
constexpr std::uint32_t arg1_offset = offsetof(seccomp_data, args) + sizeof(std::uint64_t);

sock_filter stmt(std::uint16_t code, std::uint32_t k) { return BPF_STMT(code, k); }
sock_filter jump(std::uint16_t code, std::uint32_t k, std::uint8_t jt, std::uint8_t jf) {
  return BPF_JUMP(code, k, jt, jf);
}
sock_filter ret_errno(int e) { return stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<std::uint32_t>(e) & SECCOMP_RET_DATA)); }
sock_filter ret_allow() { return stmt(BPF_RET | BPF_K, SECCOMP_RET_ALLOW); }

// New namespaces, and CLONE_PARENT: a child made a sibling of the command
// becomes ferryd's child, which nothing reaps (its zombie counts against
// RLIMIT_NPROC for every user's commands).
constexpr std::uint32_t denied_clone_flags = CLONE_PARENT | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
                                          CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP
#ifdef CLONE_NEWTIME
                                          | CLONE_NEWTIME
#endif
    ;

}  // namespace

std::vector<sock_filter> make_seccomp_filter(bool allow_network) {
  if (native_arch == 0) return {};
  std::vector<sock_filter> p;
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arch_offset));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, native_arch, 1, 0));
  p.push_back(stmt(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, nr_offset));
  if (x32_bit != 0) {
    p.push_back(jump(BPF_JMP | BPF_JGE | BPF_K, x32_bit, 0, 1));
    p.push_back(ret_errno(EPERM));
  }
  const auto deny = [&p](long nr, int e) {
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(nr), 0, 1));
    p.push_back(ret_errno(e));
  };
  for (long nr : {SYS_setsid, SYS_setpgid, SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
                  SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register, SYS_unshare, SYS_setns,
                  SYS_mount, SYS_umount2, SYS_pivot_root, SYS_chroot, SYS_keyctl, SYS_add_key, SYS_request_key,
                  SYS_bpf, SYS_userfaultfd, SYS_perf_event_open, SYS_init_module, SYS_finit_module,
                  SYS_delete_module, SYS_kexec_load, SYS_open_by_handle_at, SYS_name_to_handle_at,
                  SYS_fsopen, SYS_fsmount, SYS_move_mount, SYS_open_tree,
                  // System V IPC and POSIX message queues: objects that outlive the
                  // command, escape RLIMIT_AS and are shared by every user (one uid).
                  SYS_shmget, SYS_shmat, SYS_shmctl, SYS_msgget, SYS_msgsnd, SYS_msgrcv, SYS_msgctl,
                  SYS_semget, SYS_semop, SYS_semtimedop, SYS_semctl, SYS_mq_open,
                  // Anonymous tmpfs files: memory RLIMIT_AS does not count.
                  SYS_memfd_create, SYS_memfd_secret})
    deny(nr, EPERM);
  // fcntl: no leases (a lease makes ferryd's opens of that file wait or
  // fail for up to 45 s) and no directory notifications.
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_fcntl, 0, 4));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg1_offset));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, F_SETLEASE, 1, 0));
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, F_NOTIFY, 0, 1));
  p.push_back(ret_errno(EPERM));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, nr_offset));
  deny(SYS_clone3, ENOSYS);  // its flags sit in memory BPF cannot read; libc falls back to clone
  // clone: no new namespaces, no siblings.
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3));
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg0_offset));
  p.push_back(jump(BPF_JMP | BPF_JSET | BPF_K, denied_clone_flags, 0, 1));
  p.push_back(ret_errno(EPERM));
  // (after the clone block the accumulator may hold the flags: reload nr)
  p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, nr_offset));
  // socket(): never AF_UNIX; with the network allowed, IP only.
  p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, allow_network ? 5 : 1));
  if (!allow_network) {
    p.push_back(ret_errno(EACCES));
  } else {
    p.push_back(stmt(BPF_LD | BPF_W | BPF_ABS, arg0_offset));
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AF_INET, 2, 0));
    p.push_back(jump(BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, 1, 0));
    p.push_back(ret_errno(EACCES));
    p.push_back(ret_allow());
  }
  p.push_back(ret_allow());
  return p;
}

int install_seccomp(const std::vector<sock_filter>& prog) noexcept {
  sock_fprog f{static_cast<unsigned short>(prog.size()), const_cast<sock_filter*>(prog.data())};
  return ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &f) == 0 ? 0 : -errno;
}

}  // namespace ferry::exec
