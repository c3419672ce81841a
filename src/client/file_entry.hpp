// One directory entry as the wire protocol describes it (docs/protocol.md, ls/stat):
// name, type, size, mtime, permission bits. Shared by remote listings, the
// local listing of lls and the formatting helpers.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace ferry::client {

enum class entry_type { file, dir, link, other };

struct file_entry {
  std::string name;
  entry_type type = entry_type::other;
  std::uint64_t size = 0;
  std::int64_t mtime = 0;   ///< unix seconds
  std::uint32_t mode = 0;   ///< permission bits (07777), no type bits
  std::string target;       ///< a symlink's target, when known (ls -l shows "-> target")
};

/// "file" / "dir" / "link" / anything else -> other.
inline entry_type entry_type_from_string(std::string_view s) noexcept {
  if (s == "file") return entry_type::file;
  if (s == "dir") return entry_type::dir;
  if (s == "link") return entry_type::link;
  return entry_type::other;
}

/// The wire spelling: "file", "dir", "link", "other".
inline std::string_view to_string(entry_type t) noexcept {
  switch (t) {
    case entry_type::file: return "file";
    case entry_type::dir: return "dir";
    case entry_type::link: return "link";
    case entry_type::other: break;
  }
  return "other";
}

}  // namespace ferry::client
