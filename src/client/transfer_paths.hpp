// Path arithmetic of the transfer commands: base names, joining, the hidden
// part file beside a target, and the check that a name from a remote listing
// is safe to create locally. Pure string work (both local and virtual remote
// paths use '/'), unit-tested in tests/unit/client_transfer_paths_test.cpp.
#pragma once
#include <string>
#include <string_view>

namespace ferry::client {

/// The last component, trailing slashes ignored: "a/b/" -> "b", "x" -> "x",
/// "/" and "" -> "". "." and ".." come back as they are (see usable_name).
std::string base_name(std::string_view path);

/// The directory part of a file path: "a/b" -> "a", "/x" -> "/", "x" -> ".".
std::string dir_name(std::string_view path);

/// SECURITY: a single component that can be created inside a directory
/// without escaping it: not empty, not "." or "..", no '/' and no NUL. Names
/// from a server's listing go through this before they touch the local disk.
bool usable_name(std::string_view name);

/// "dir/name"; "name" when dir is empty; no doubled '/' when dir ends in one.
std::string join_path(std::string_view dir, std::string_view name);

/// The part file of `target`: "a/b/c.txt" -> "a/b/.c.txt.ferry-part",
/// "c.txt" -> ".c.txt.ferry-part". Precondition: usable_name(base_name(target)).
std::string part_path(std::string_view target);

/// True when `path` ends in '/' (names a directory by its spelling).
bool has_trailing_slash(std::string_view path);

/// Where a tree copy (get -r, put -r, sync) of a directory called `name`
/// lands, given DEST: DEST itself is the copy (like lftp's mirror and
/// sftp's get -r), whether or not it exists yet, so running the same
/// command again finds the first copy and continues it instead of nesting a
/// second one inside. A DEST spelled as a directory (empty, ending in '/',
/// or ending in "." or "..") receives the copy as DEST/NAME, as a single
/// file would. "" when that needs `name` and it is not usable_name.
std::string tree_root(std::string_view dest, std::string_view name);

}  // namespace ferry::client
