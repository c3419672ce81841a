// Digests kept with the file: after a verified upload (or a full hashing pass)
// the server stores the file's size, mtime and the digest (binary, 32 bytes
// for xxh128) in the xattr user.ferry.digest.ALGO.
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

/// Stores `hex` for the file as described by `st`; errors are ignored. For
/// downloads and hashing: it never makes the file take more disk. An xattr
/// that does not fit in the inode takes a block of its own (ext4 with
/// 256-byte inodes), which would be charged to the file's owner behind the
/// quota ledger's back (vfs/disk_charge.hpp); such a store is undone.
void store_cached_digest(int fd, std::string_view algo, const struct stat& st, std::string_view hex);
/// Stores `hex` for the file as it is now: a verified upload's part file,
/// which may take a block for it (the upload charges what it then measures).
void store_cached_digest(int fd, std::string_view algo, std::string_view hex);

}  // namespace ferry::vfs
