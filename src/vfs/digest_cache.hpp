// Digests kept with the file: after a verified upload (or a full hashing pass)
// the server stores "SIZE MTIME_NS DIGEST" in the xattr user.ferry.digest.ALGO.
// It is trusted only while the file's size and mtime still match, so serving
// or hashing an unchanged file needs no second pass over its bytes. Best
// effort: a filesystem without user xattrs simply never has a cached digest.
// Files with more than one hard link are never cached (their inode may have a
// name outside the home).
#pragma once
#include <optional>
#include <string>
#include <string_view>

struct stat;

namespace ferry::vfs {

/// The cached digest of the open file `fd` (whose fstat is `st`), if valid.
std::optional<std::string> load_cached_digest(int fd, std::string_view algo, const struct stat& st);

/// Stores `hex` for the file as described by `st`; errors are ignored.
void store_cached_digest(int fd, std::string_view algo, const struct stat& st, std::string_view hex);
/// Stores `hex` for the file as it is now (a verified upload's part file).
void store_cached_digest(int fd, std::string_view algo, std::string_view hex);

}  // namespace ferry::vfs
