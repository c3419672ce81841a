#include "vfs/file_io.hpp"

#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

namespace ferry::vfs {
namespace {

// cachestat(2): not in glibc 2.36's headers.
#ifndef SYS_cachestat
#define SYS_cachestat 451
#endif
struct cachestat_range {
  std::uint64_t off;
  std::uint64_t len;
};
struct cachestat_result {
  std::uint64_t nr_cache;
  std::uint64_t nr_dirty;
  std::uint64_t nr_writeback;
  std::uint64_t nr_evicted;
  std::uint64_t nr_recently_evicted;
};

constexpr std::uint64_t page = 4096;

}  // namespace

bool read_at(int fd, char* buf, std::size_t n, std::uint64_t off) {
  std::size_t done = 0;
  while (done < n) {
    const auto r = ::pread(fd, buf + done, n - done, static_cast<off_t>(off + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

std::size_t read_cached(int fd, char* buf, std::size_t n, std::uint64_t off) {
  std::size_t done = 0;
  while (done < n) {
    iovec v{buf + done, n - done};
    const auto r = ::preadv2(fd, &v, 1, static_cast<off_t>(off + done), RWF_NOWAIT);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;  // EAGAIN: not cached; EOPNOTSUPP: cannot say; 0: EOF
    done += static_cast<std::size_t>(r);
  }
  return done;
}

bool range_cached(int fd, std::uint64_t off, std::uint64_t n) {
  if (n == 0) return true;
  const std::uint64_t first = off / page * page;
  const std::uint64_t pages = (off + n - first + page - 1) / page;
  cachestat_range r{first, pages * page};
  cachestat_result cs{};
  if (::syscall(SYS_cachestat, fd, &r, &cs, 0) != 0) return false;
  return cs.nr_cache >= pages;
}

}  // namespace ferry::vfs
