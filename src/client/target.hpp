// The USER@HOST[:PORT] argument of `ferry`. HOST may be a name, an IPv4
// address, or an IPv6 literal in brackets ("[::1]:9021"); a bare IPv6 literal
// without brackets is accepted when no port follows it. Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::client {

struct target {
  std::string user;                  ///< empty when the argument had no "USER@"
  std::string host;                  ///< without brackets
  std::optional<std::uint16_t> port; ///< only when ":PORT" was given
};

/// Parses the argument; nullopt with `error` set on an empty host, a bad port
/// (not 1..65535) or an unclosed bracket.
std::optional<target> parse_target(std::string_view text, std::string& error);

/// "host:port", or "[v6]:port" when host contains ':' (for messages).
std::string host_port(std::string_view host, std::uint16_t port);

/// Parses a decimal port 1..65535.
std::optional<std::uint16_t> parse_port(std::string_view text);

}  // namespace ferry::client
