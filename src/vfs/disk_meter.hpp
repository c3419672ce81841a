// Measuring what the quota charges (disk_charge.hpp) on the disk itself: the
// jail and part files use these around every operation that adds, removes or
// grows a name, so the ledger learns exactly what the operation changed.
//
// A directory grows (and on some filesystems shrinks) as names come and go:
// dir_growth measures it before and after. Two sessions of one user doing
// this in one directory at once would both count the same growth: callers
// hold the ledger's change lock (quota_ledger::lock_changes) meanwhile.
#pragma once
#include <cstdint>

#include "vfs/disk_charge.hpp"

namespace ferry::vfs {

/// The charge of the open file or directory `fd` (fstat; O_PATH fds work);
/// 0 when it cannot be measured.
std::uint64_t charge_of_fd(int fd) noexcept;

/// The charge of the name `leaf` in directory `dirfd` (lstat: a symlink is
/// not followed); false when there is no such name.
bool charge_at(int dirfd, const char* leaf, std::uint64_t& out) noexcept;

/// True when `a` and `b` are the same inode.
bool same_inode(int a, int b) noexcept;

/// Records in `into` how much a directory's charge changed between
/// construction and done(). With a null `into` or a negative fd, nothing.
class dir_growth {
 public:
  dir_growth(int dirfd, usage_change* into) noexcept;
  void done() noexcept;

 private:
  int fd_;
  usage_change* into_;
  std::uint64_t before_ = 0;
};

}  // namespace ferry::vfs
