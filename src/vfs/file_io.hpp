// Reading an open file by offset: the one pread loop of the server (sending
// a file, hashing it, serving a small get from the reply queue), and the two
// questions an event loop asks before touching a file: can this be read from
// the page cache without waiting for the disk?
#pragma once
#include <cstddef>
#include <cstdint>

namespace ferry::vfs {

/// Reads exactly `n` bytes of `fd` at `off` into `buf` (retrying EINTR and
/// short reads). False on EOF (the file shrank) or an error.
bool read_at(int fd, char* buf, std::size_t n, std::uint64_t off);

/// Reads what of [off, off + n) is already in the page cache, without ever
/// waiting for the disk (preadv2 RWF_NOWAIT): the number of bytes read into
/// `buf`, 0 when the first page is not cached, the filesystem cannot say, or
/// at EOF. The caller reads the rest where blocking is allowed.
std::size_t read_cached(int fd, char* buf, std::size_t n, std::uint64_t off);

/// True when every page of [off, off + n) is in the page cache (cachestat(2),
/// Linux 6.5); false when not, or when the kernel cannot say.
bool range_cached(int fd, std::uint64_t off, std::uint64_t n);

}  // namespace ferry::vfs
