#include "vfs/download_file.hpp"

#include <fcntl.h>

#include <cerrno>

#include "vfs/jail.hpp"

namespace ferry::vfs {

errc open_download(const vfs::jail& jail, std::string_view path, download_file& out) {
  // O_NONBLOCK: opening a fifo must not hang the server thread.
  const int fd = jail.open_at(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return errc_from_errno(-fd);
  out.fd = unique_fd(fd);
  if (::fstat(fd, &out.st) != 0) return errc_from_errno(errno);
  if (S_ISDIR(out.st.st_mode)) return errc::is_directory;
  if (!S_ISREG(out.st.st_mode)) return errc::forbidden;
  out.size = static_cast<std::uint64_t>(out.st.st_size);
  return errc::ok;
}

bool unchanged(int fd, const struct stat& st) {
  struct stat now {};
  return ::fstat(fd, &now) == 0 && now.st_size == st.st_size &&
         now.st_mtim.tv_sec == st.st_mtim.tv_sec && now.st_mtim.tv_nsec == st.st_mtim.tv_nsec;
}

}  // namespace ferry::vfs
