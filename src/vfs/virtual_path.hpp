// Virtual paths: what a client names ("/docs/a.txt", "../b") resolved lexically
// against its virtual cwd into a normalized absolute path under "/" (the home).
// Pure string logic; the kernel jail (jail.hpp) does the real confinement, this
// only gives every path one canonical spelling and rejects illegal names.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ferry::vfs {

/// Resolves `path` against `cwd` (normalized, absolute). "." is dropped, ".."
/// pops a component and stays at "/" at the top (chroot semantics), repeated
/// slashes collapse. Returns nullopt and sets `why` for an empty path, a NUL
/// byte, any other control character (0x01-0x1f, 0x7f, in any component, even
/// one ".." removes), a component longer than 255 bytes or a result longer
/// than 4096 bytes. Every client path of both protocols passes here, so no
/// name with a control character is ever created, opened or renamed to.
std::optional<std::string> resolve(std::string_view cwd, std::string_view path, std::string& why);

/// Index of the first control character (0x00-0x1f or 0x7f) in `s`, npos if
/// none. Names that have one are never resolved (see resolve).
std::size_t find_control_char(std::string_view s) noexcept;

/// Splits a normalized absolute path: "/a/b" -> {"/a", "b"}; "/" -> {"/", ""}.
struct split_path {
  std::string parent;
  std::string leaf;
};
split_path split(std::string_view normalized);

/// Joins a normalized absolute directory and a single name.
std::string join(std::string_view dir, std::string_view name);

/// The path relative to the home, as openat2 wants it: "/" -> ".", "/a/b" -> "a/b".
std::string relative(std::string_view normalized);

/// What a listing may show as the target of a symlink at directory
/// `link_dir` (normalized virtual) whose content is `target`: a relative
/// target that stays inside the home, as it is. nullopt for any other: an
/// absolute target is either a real server path (which must not be shown)
/// or, read inside the jail, a path from the home that its writer may not
/// have meant; one that climbs out names something outside the home.
std::optional<std::string> shown_link_target(std::string_view link_dir, std::string_view target);

/// True for upload part files (".NAME.ferry-part"): reserved names that
/// listings hide and no user operation but an upload (vfs::part_file) may
/// touch.
bool is_part_file(std::string_view name);

/// True when any component of the normalized path is a part-file name.
bool has_part_component(std::string_view normalized);

/// ".NAME.ferry-part" for "NAME" (docs/operations.md): the one place it is spelled.
/// Where that would pass 255 bytes (NAME of 244-255 bytes):
/// ".PREFIX~HASH16.ferry-part", PREFIX the name cut to fit.
std::string part_name(std::string_view leaf);

}  // namespace ferry::vfs
