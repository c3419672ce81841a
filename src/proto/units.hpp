// Human byte sizes: parsing "100MiB", "1.5G", "10MiB/s" and printing "1.2 MiB".
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

/// Parses "0", "512", "100K", "100KB", "100KiB", "1.5GiB", "2T" (K/M/G/T are
/// binary, 1024-based; case-insensitive; optional space). "" and "unlimited"
/// parse as 0. nullopt on anything else or overflow.
std::optional<std::uint64_t> parse_size(std::string_view text);
/// As parse_size, with an optional "/s" suffix.
std::optional<std::uint64_t> parse_rate(std::string_view text);
/// "0 B", "1023 B", "1.0 KiB", "12.3 MiB", "1.0 GiB" (one decimal from KiB up).
std::string format_size(std::uint64_t bytes);

}  // namespace ferry
