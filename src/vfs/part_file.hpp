// An upload's part file, ".NAME.ferry-part" beside its target: the kernel
// edge of an upload. transfer::upload drives it (reserve, write, verify,
// commit) without making a syscall of its own. Opened through the jail's
// door (the parent resolves with openat2), then every call acts on the two
// leaves with *at() calls that never follow a symlink.
// Owned by one upload; not thread-safe.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/errc.hpp"
#include "vfs/disk_charge.hpp"
#include "vfs/path_locks.hpp"
#include "vfs/unique_fd.hpp"

namespace ferry::vfs {

class jail;

class part_file {
 public:
  /// Resolves the target `path` and its part name; creates nothing yet.
  /// Errors: reserved_name (a component of the path is a part name),
  /// is_directory ("/"), name_too_long (the part name would be too long), and whatever the
  /// filesystem says (not_found for a missing parent).
  static errc open(const jail& j, std::string_view path, part_file& out);
  /// A part file is there now (so create() would make no new name).
  bool exists() const;
  /// Opens the part file, creating it when missing (after the caller holds
  /// the target's lock). Fails (forbidden for a fifo or device, is_directory,
  /// forbidden for a symlink: never followed) when the part name holds
  /// something other than a regular file. When it creates the file, `change`
  /// (if given) gets the new name, its charge and its directory's growth.
  errc create(usage_change* change = nullptr);
  /// create() made the part file (it was not there from an earlier upload).
  bool created() const noexcept { return created_; }

  /// The lock key of the target: the parent's (dev, inode) and the leaf.
  errc lock_key(path_key& out) const;
  /// What a commit would take away: the name at the target and its charge
  /// (disk_charge.hpp), nothing when there is none. is_directory when it is
  /// a directory.
  errc replaced(usage& out) const;
  /// The part file's charge now (disk_charge.hpp).
  std::uint64_t charge() const;
  /// Bytes in the part file now.
  errc size(std::uint64_t& out) const;
  /// The part file's descriptor (O_RDWR), for hashing and the digest xattr.
  int fd() const noexcept { return part_.get(); }

  /// Cuts the part file to `n` bytes.
  errc truncate(std::uint64_t n);
  /// Writes all of `data` at `off`; `done` gets the bytes written, also on error.
  errc write_at(const char* data, std::size_t n, std::uint64_t off, std::size_t& done);
  /// Replaces the part's content with the first `n` bytes of the target (FTP
  /// REST/APPE without a part file). offset_beyond_end when the target is
  /// not a regular file of at least `n` bytes.
  errc seed_from_target(std::uint64_t n);
  /// Sets the part file's modification time to `unix_seconds` (a put's
  /// `mtime`: the client's file keeps its time on the server); the access
  /// time is left alone.
  errc set_mtime(std::int64_t unix_seconds);
  /// Renames the part over the target: the only way a part becomes visible.
  /// `change` (if given) gets what went: the target's name and charge, as
  /// they were just before, and the directory's change.
  errc commit(usage_change* change = nullptr);
  /// Deletes the part file; `change` (if given) gets its name and charge
  /// and its directory's change; nothing when it was already gone.
  void discard(usage_change* change = nullptr);

 private:
  unique_fd dir_;   ///< O_PATH parent directory
  unique_fd part_;  ///< the part file, O_RDWR
  std::string leaf_;
  std::string part_leaf_;
  bool created_ = false;
};

/// Deletes the part file of `path` that no upload is writing (its path lock
/// is free): an interrupted upload's leftover, hidden from ls but charged.
/// not_found when there is none, busy while an upload holds the lock.
/// `change` (if given) gets its name and charge.
errc discard_part(const jail& j, path_locks& locks, std::string_view path, usage_change* change);

/// The names whose part files are all that directory `dir` holds, so that
/// discarding those lets it be removed. not_empty when anything else is
/// there (or a part name too long to tell its target: ".PREFIX~HASH16").
errc part_targets(const jail& j, std::string_view dir, std::vector<std::string>& out);

/// The length of the part file of `path` (FTP SIZE of an interrupted
/// upload, so clients can continue it); not_found when there is none.
errc part_size(const jail& j, std::string_view path, std::uint64_t& out);

}  // namespace ferry::vfs
