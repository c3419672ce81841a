// Listing a whole directory tree for get -r / put -r: the local one (never
// following symbolic links) and the remote one (ls, pipelined one level at a
// time). Both give entries in an order where every directory comes before
// what it contains, so creating them in that order always works.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "client/result.hpp"

namespace ferry::client {

class session;

struct tree_entry {
  std::string rel;          ///< path below the root, '/'-separated, never empty
  bool is_dir = false;
  std::uint64_t size = 0;   ///< files: size as listed (or as lstat saw it)
};

struct tree_note {
  std::string rel;
  std::string text;         ///< "symbolic link", "special file", or an error's words
};

struct tree_listing {
  std::vector<tree_entry> entries;
  std::vector<tree_note> skipped;  ///< links and special files: not copied
  std::vector<tree_note> errors;   ///< directories that could not be listed
};

/// Walks the local directory `root` (which must be one; a symlink given as
/// the root itself is followed, none below it). Fails only when the root
/// cannot be opened.
result<tree_listing> walk_local(const std::string& root);

/// Walks the remote directory `root` with ls. Names the server returns that
/// are unusable (usable_name) are skipped as "unusable name". Fails when the
/// root cannot be listed, and fatally when the connection breaks.
result<tree_listing> walk_remote(session& remote, const std::string& root);

}  // namespace ferry::client
