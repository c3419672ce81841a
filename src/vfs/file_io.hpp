// Reading an open file by offset: the one pread loop of the server (sending
// a file, hashing it, serving a small get from the reply queue).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ferry::vfs {

/// Reads exactly `n` bytes of `fd` at `off` into `buf` (retrying EINTR and
/// short reads). False on EOF (the file shrank) or an error.
bool read_at(int fd, char* buf, std::size_t n, std::uint64_t off);

}  // namespace ferry::vfs
