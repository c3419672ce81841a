#include "exec/landlock.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ferry::exec {
namespace {

// Declared here rather than taken from <linux/landlock.h>: Debian 12's
// headers stop at ABI 2, the kernels ferryd meets go to 7.
struct ruleset_attr {
  std::uint64_t handled_access_fs;
  std::uint64_t handled_access_net;
  std::uint64_t scoped;
};
struct path_beneath_attr {
  std::uint64_t allowed_access;
  std::int32_t parent_fd;
} __attribute__((packed));
struct net_port_attr {
  std::uint64_t allowed_access;
  std::uint64_t port;
};

constexpr std::uint32_t create_ruleset_version = 1u << 0;
constexpr int rule_path_beneath = 1;

enum : std::uint64_t {
  fs_execute = 1ull << 0,
  fs_write_file = 1ull << 1,
  fs_read_file = 1ull << 2,
  fs_read_dir = 1ull << 3,
  fs_remove_dir = 1ull << 4,
  fs_remove_file = 1ull << 5,
  fs_make_char = 1ull << 6,
  fs_make_dir = 1ull << 7,
  fs_make_reg = 1ull << 8,
  fs_make_sock = 1ull << 9,
  fs_make_fifo = 1ull << 10,
  fs_make_block = 1ull << 11,
  fs_make_sym = 1ull << 12,
  fs_refer = 1ull << 13,     // ABI 2
  fs_truncate = 1ull << 14,  // ABI 3
  fs_ioctl_dev = 1ull << 15, // ABI 5
};
enum : std::uint64_t { net_bind_tcp = 1ull << 0, net_connect_tcp = 1ull << 1 };  // ABI 4
enum : std::uint64_t { scope_abstract_unix = 1ull << 0, scope_signal = 1ull << 1 };  // ABI 6

/// Every filesystem right `abi` knows: all of them are handled (denied
/// unless a rule allows them).
std::uint64_t fs_rights(int abi) {
  std::uint64_t r = (fs_make_sym << 1) - 1;
  if (abi >= 2) r |= fs_refer;
  if (abi >= 3) r |= fs_truncate;
  if (abi >= 5) r |= fs_ioctl_dev;
  return r;
}

int add_path(int ruleset, const char* path, std::uint64_t access, bool must_exist, std::string& error) {
  const int fd = ::open(path, O_PATH | O_CLOEXEC);
  if (fd < 0) {
    if (!must_exist && errno == ENOENT) return 0;
    error = std::string("cannot open ") + path + ": " + std::strerror(errno);
    return -1;
  }
  path_beneath_attr a{access, fd};
  const long r = ::syscall(SYS_landlock_add_rule, ruleset, rule_path_beneath, &a, 0);
  const int saved = errno;
  ::close(fd);
  if (r != 0) {
    error = std::string("landlock_add_rule(") + path + "): " + std::strerror(saved);
    return -1;
  }
  return 0;
}

}  // namespace

int landlock_abi() noexcept {
  const long v = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, create_ruleset_version);
  return v < 0 ? 0 : static_cast<int>(v);
}

int make_ruleset(int abi, int home_fd, bool allow_network, std::string& error) {
  if (abi < 1) {
    error = "Landlock is not available";
    return -1;
  }
  const std::uint64_t all = fs_rights(abi);
  ruleset_attr attr{all, 0, 0};
  std::size_t size = sizeof(std::uint64_t);  // ABI 1-3 know only the first field
  if (abi >= 4) {
    if (!allow_network) attr.handled_access_net = net_bind_tcp | net_connect_tcp;
    size = 2 * sizeof(std::uint64_t);
  }
  if (abi >= 6) {
    attr.scoped = scope_abstract_unix | scope_signal;
    size = sizeof(attr);
  }
  const long rs = ::syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (rs < 0) {
    error = std::string("landlock_create_ruleset: ") + std::strerror(errno);
    return -1;
  }
  const int ruleset = static_cast<int>(rs);
  // System directories: read and run. (Rules on a directory cover what is
  // beneath it, across symlinks resolved to there.)
  const std::uint64_t run = (fs_execute | fs_read_file | fs_read_dir) & all;
  for (const char* dir : {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc"})
    if (add_path(ruleset, dir, run, false, error) != 0) return ::close(ruleset), -1;
  // The harmless devices, read and write (`> /dev/null` truncates).
  const std::uint64_t dev = (fs_read_file | fs_write_file | fs_truncate | fs_ioctl_dev) & all;
  for (const char* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"})
    if (add_path(ruleset, d, dev, false, error) != 0) return ::close(ruleset), -1;
  // The home: everything but running programs from it and making names
  // that block or reach elsewhere when opened (FIFOs, sockets, devices).
  const std::uint64_t home = all & ~(fs_execute | fs_make_fifo | fs_make_sock | fs_make_char | fs_make_block);
  path_beneath_attr h{home, home_fd};
  if (::syscall(SYS_landlock_add_rule, ruleset, rule_path_beneath, &h, 0) != 0) {
    error = std::string("landlock_add_rule(home): ") + std::strerror(errno);
    ::close(ruleset);
    return -1;
  }
  return ruleset;
}

int restrict_self(int ruleset_fd) noexcept {
  return ::syscall(SYS_landlock_restrict_self, ruleset_fd, 0) == 0 ? 0 : -errno;
}

}  // namespace ferry::exec
