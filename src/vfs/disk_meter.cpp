// fstat-based measuring of charges (disk_meter.hpp).
#include "vfs/disk_meter.hpp"

#include <fcntl.h>
#include <sys/stat.h>

namespace ferry::vfs {

std::uint64_t charge_of_fd(int fd) noexcept {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? charge_of(st) : 0;
}

bool charge_at(int dirfd, const char* leaf, std::uint64_t& out) noexcept {
  struct stat st {};
  if (::fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) return false;
  out = charge_of(st);
  return true;
}

bool same_inode(int a, int b) noexcept {
  struct stat sa {}, sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

dir_growth::dir_growth(int dirfd, usage_change* into) noexcept : fd_(dirfd), into_(into) {
  if (into_ != nullptr && fd_ >= 0) before_ = charge_of_fd(fd_);
}

void dir_growth::done() noexcept {
  if (into_ == nullptr || fd_ < 0) return;
  into_->record(before_, charge_of_fd(fd_));
  into_ = nullptr;
}

}  // namespace ferry::vfs
