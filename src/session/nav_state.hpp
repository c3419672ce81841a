// Where a logged-in session stands in its user's home: the jail, the virtual
// cwd, and the user's quota ledger. Both protocols' navigation and transfer
// commands work on it. Owned by one session; no locking.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "proto/errc.hpp"

namespace ferry::vfs {
class dir_listing;
class jail;
class path_locks;
class quota_ledger;
}  // namespace ferry::vfs

namespace ferry::session {

struct activity_actor;

struct nav_state {
  const vfs::jail* jail = nullptr;
  std::string cwd = "/";
  vfs::quota_ledger* quota = nullptr;  ///< the user's ledger (rm frees, quota reads)
  /// The server's upload locks: rm and rmdir discard only part files no
  /// upload holds (null: they leave part files alone).
  vfs::path_locks* locks = nullptr;
  /// The home must be re-measured before the ledger is next used (set at
  /// login; done lazily so a login costs no walk of the home).
  bool quota_stale = false;
  /// An ls still being answered in frames (native protocol; see nav::ls_more).
  std::shared_ptr<vfs::dir_listing> listing;
  /// Who the activity log names for mkdir, rmdir, rm and mv (null: none).
  const activity_actor* actor = nullptr;

  /// True when `path` is the cwd or one of its ancestors (removing or moving
  /// it would strand the session).
  bool holds_cwd(const std::string& path) const {
    return path == cwd || cwd.starts_with(path + "/");
  }
};

/// The user's ledger, re-measuring the home first when it is stale.
vfs::quota_ledger& fresh_quota(nav_state& st);

// The operations on names for both protocols, kept in the user's ledger
// exactly (vfs/disk_charge.hpp): each measures what it changed (the names,
// their charges, their directories' growth) under the ledger's change lock.

/// mkdir [-p]: the directories it would make are charged first (one unit and
/// one file each), so past the byte limit it is quota_exceeded and past the
/// file-count limit too_many_files, and nothing is made.
errc make_dir(nav_state& st, std::string_view path, bool parents);
/// rmdir: a directory that holds nothing but part files of interrupted
/// uploads (hidden from ls, so the user cannot remove them one by one) is
/// removed with them, unless an upload is still writing one.
errc remove_dir(nav_state& st, std::string_view path);
/// rm: gives back the name and its charge; an interrupted upload's part
/// file of the same name goes too (rm of a name that only has one removes
/// it), unless an upload is still writing it.
errc remove_file(nav_state& st, std::string_view path);
/// mv: never refused for quota (it adds no name); the directories it makes
/// grow or shrink are charged.
errc rename(nav_state& st, std::string_view from, std::string_view to);

}  // namespace ferry::session
