// FTP data-connection addresses: PORT/PASV's "h1,h2,h3,h4,p1,p2" (RFC 959)
// and EPRT/EPSV's "|proto|addr|port|" (RFC 2428). Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::ftp {

struct host_port {
  std::string host;  ///< numeric IPv4 or IPv6 text
  std::uint16_t port = 0;
  bool v6 = false;
};

/// Active-mode (PORT/EPRT) targets must be at or above this port.
inline constexpr std::uint16_t first_unprivileged_port = 1024;

/// "h1,h2,h3,h4,p1,p2" → IPv4 host and port; nullopt when malformed.
std::optional<host_port> parse_port_arg(std::string_view arg);
/// "|1|132.235.1.2|6275|" or "|2|::1|5282|" (any delimiter 33-126).
std::optional<host_port> parse_eprt_arg(std::string_view arg);

/// "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)." text part for an IPv4 host.
std::string pasv_text(std::string_view ipv4, std::uint16_t port);
/// "Entering Extended Passive Mode (|||port|)".
std::string epsv_text(std::uint16_t port);

}  // namespace ferry::ftp
