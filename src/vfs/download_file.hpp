// Opening a file to serve it (native get, FTP RETR, hash): through the jail,
// never blocking on a fifo, regular files only.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <string_view>

#include "proto/errc.hpp"
#include "vfs/unique_fd.hpp"

namespace ferry::vfs {

class jail;

struct download_file {
  unique_fd fd;
  struct stat st {};
  std::uint64_t size = 0;
};

/// Opens a regular file for reading. Errors: not_found, is_directory,
/// forbidden (a fifo, device or socket: never opened in blocking mode).
errc open_download(const vfs::jail& jail, std::string_view path, download_file& out);

/// True when the file still has the size and mtime recorded in `st` (so a
/// digest computed while sending it may be cached).
bool unchanged(int fd, const struct stat& st);

}  // namespace ferry::vfs
