// The USER@HOST[:PORT] argument of `ferry`. HOST may be a name, an IPv4
// address, or an IPv6 literal in brackets ("[::1]:9021"); a bare IPv6 literal
// without brackets is accepted when no port follows it. Also what kind of
// host it is (an address literal, loopback). Pure.
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

/// True for an IPv4 or IPv6 address literal (without brackets).
bool is_ip_literal(const std::string& host);

/// True for the hosts TLS is optional on by default: "localhost" (any case),
/// 127.0.0.0/8 (also as ::ffff:127.x.y.z) and ::1.
bool is_loopback_host(const std::string& host);

}  // namespace ferry::client
