// The jail: the only door to a user's files. Every path resolves with
// openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from the home directory's
// fd, so "..", absolute paths and symlinks (even to "/etc") stay inside the
// home — enforced by the kernel, not by string checks. Operations on a name
// (mkdir, unlink, rename, lstat) resolve the parent that way and then act on a
// single component with the *at() calls, which never follow the last symlink.
//
// Part files (".NAME.ferry-part") are reserved: every operation here refuses
// a path with such a component (reserved_name; open_at acts as if it were
// absent). Only vfs::part_file works on them.
//
// All paths given here are normalized virtual paths (virtual_path.hpp). Errors
// are errc values; no method ever returns or logs a real filesystem path.
// Thread-safety: a jail is used by one session at a time.
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/errc.hpp"
#include "vfs/disk_charge.hpp"
#include "vfs/unique_fd.hpp"

struct stat;

namespace ferry::vfs {

class dir_listing;

enum class file_type { file, dir, link, other };
std::string_view to_string(file_type t) noexcept;

struct dir_entry {
  std::string name;
  file_type type = file_type::other;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;    ///< unix seconds
  std::uint32_t mode = 0;    ///< permission bits (07777)
  std::string unique;        ///< device and inode in hex, "803g1a2b" (FTP MLSx unique fact)
  /// A symlink's target where it may be shown (shown_link_target), else empty.
  std::string target;
};

/// The entry an lstat result describes, named `name`.
dir_entry make_entry(std::string name, const struct stat& st);

/// Fills `e.target` for a symlink `e.name` in the directory `dir_fd`, which is
/// the virtual `dir`, where shown_link_target() allows; where it does not,
/// the size (the target's length) is not shown either: 0.
void read_link_target(int dir_fd, std::string_view dir, dir_entry& e);

class jail {
 public:
  /// Opens `home` (must be a real directory, not a symlink). nullopt + errno.
  static std::optional<jail> open(const std::filesystem::path& home, int& err);

  /// The home is still where it was opened: not removed, not moved away, not
  /// replaced. Every open_at() checks it (a session must not go on writing
  /// into a home the administrator removed, nor follow one moved out of the
  /// server's root); failing it gives -ESTALE (home_unavailable).
  bool home_alive() const;

  /// Opens a path inside the jail with openat2; returns an fd or -errno.
  /// `flags` are open(2) flags; O_CLOEXEC is always added.
  int open_at(std::string_view path, int flags, unsigned mode = 0) const;

  /// Succeeds when `path` is a directory (following symlinks inside the jail).
  errc check_dir(std::string_view path) const;
  /// lstat semantics on the last component.
  errc stat(std::string_view path, dir_entry& out) const;
  /// A directory's entries sorted by name, without "."/".." and part files; a
  /// file path lists that one entry.
  errc list(std::string_view path, std::vector<dir_entry>& out) const;
  /// The same, read in batches (dir_listing.hpp): for listings of any size.
  errc open_listing(std::string_view path, dir_listing& out) const;
  // The operations that add, remove or move names record in `change` (when
  // given) what they changed in the home's charge (disk_charge.hpp): the
  // names and their charges, and how much their directories grew or shrank.
  // Callers hold the ledger's change lock meanwhile (disk_meter.hpp).

  errc make_dir(std::string_view path, bool parents, usage_change* change = nullptr) const;
  /// How many directories make_dir(path, true) would create: the components
  /// from the first missing one on (0 when all exist).
  unsigned missing_dirs(std::string_view path) const;
  errc remove_dir(std::string_view path, usage_change* change = nullptr) const;
  /// Unlinks a file, link or other non-directory.
  errc remove_file(std::string_view path, usage_change* change = nullptr) const;
  /// Renames without replacing; `to` naming an existing directory moves into it.
  errc rename(std::string_view from, std::string_view to, usage_change* change = nullptr) const;
  /// What the quota charges for the home, measured by walking it: every name
  /// in it (part files included, symlinks not followed) by the rule of
  /// disk_charge.hpp, plus the home directory's growth past its first block.
  usage disk_usage() const;

  /// Opens the parent of `path` as an O_PATH directory and sets `leaf` to the
  /// last component ("" for "/"); -errno on failure. Callers act on the leaf
  /// with *at() calls that do not follow it.
  int open_parent(std::string_view path, std::string& leaf) const;

 private:
  jail(unique_fd root, std::filesystem::path home) : root_(std::move(root)), home_(std::move(home)) {}

  unique_fd root_;
  std::filesystem::path home_;  ///< where the home was opened, for home_alive()
};

}  // namespace ferry::vfs
