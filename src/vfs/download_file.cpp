#include "vfs/download_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>

#include "vfs/jail.hpp"

namespace ferry::vfs {
namespace {

timespec to_timespec(const statx_timestamp& t) { return {t.tv_sec, static_cast<long>(t.tv_nsec)}; }

/// fstat, but asking the filesystem rather than the kernel's cache of its
/// attributes (statx AT_STATX_FORCE_SYNC): on FUSE or NFS a cached mtime can
/// be stale, and comparing a stale one with a fresh one would call an
/// untouched file changed.
int fresh_stat(int fd, struct stat& st) {
  struct statx x {};
  if (::statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &x) != 0) return -1;
  st = {};
  st.st_dev = makedev(x.stx_dev_major, x.stx_dev_minor);
  st.st_ino = x.stx_ino;
  st.st_mode = x.stx_mode;
  st.st_nlink = x.stx_nlink;
  st.st_uid = x.stx_uid;
  st.st_gid = x.stx_gid;
  st.st_rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
  st.st_size = static_cast<off_t>(x.stx_size);
  st.st_blksize = static_cast<blksize_t>(x.stx_blksize);
  st.st_blocks = static_cast<blkcnt_t>(x.stx_blocks);
  st.st_atim = to_timespec(x.stx_atime);
  st.st_mtim = to_timespec(x.stx_mtime);
  st.st_ctim = to_timespec(x.stx_ctime);
  return 0;
}

}  // namespace

errc open_download(const vfs::jail& jail, std::string_view path, download_file& out) {
  // O_NONBLOCK: opening a fifo must not hang the server thread.
  const int fd = jail.open_at(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return errc_from_errno(-fd);
  out.fd = unique_fd(fd);
  if (fresh_stat(fd, out.st) != 0) return errc_from_errno(errno);
  if (S_ISDIR(out.st.st_mode)) return errc::is_directory;
  if (!S_ISREG(out.st.st_mode)) return errc::forbidden;
  out.size = static_cast<std::uint64_t>(out.st.st_size);
  return errc::ok;
}

bool unchanged(int fd, const struct stat& st) {
  struct stat now {};
  return fresh_stat(fd, now) == 0 && now.st_size == st.st_size &&
         now.st_mtim.tv_sec == st.st_mtim.tv_sec && now.st_mtim.tv_nsec == st.st_mtim.tv_nsec;
}

}  // namespace ferry::vfs
