// Lowercase hex, as digests travel on the wire (docs/protocol.md) and are kept in
// their xattr as raw bytes (vfs/digest_cache.hpp).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ferry::proto {

/// Two lowercase hex digits per byte.
std::string to_hex(std::string_view bytes);
/// The bytes of lowercase hex; nullopt when `hex` is empty, of odd length or
/// not lowercase hex.
std::optional<std::string> from_hex(std::string_view hex);

}  // namespace ferry::proto
