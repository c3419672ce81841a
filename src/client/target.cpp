// Parsing of the USER@HOST[:PORT] command-line argument, and what kind of
// host it names.
#include "client/target.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ferry::client {

std::optional<std::uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::optional<target> parse_target(std::string_view text, std::string& error) {
  target t;
  // The user name may itself contain '@' (e-mail style); the host never does.
  if (const auto at = text.rfind('@'); at != std::string_view::npos) {
    t.user = std::string(text.substr(0, at));
    text.remove_prefix(at + 1);
    if (t.user.empty()) {
      error = "empty user name before '@'";
      return std::nullopt;
    }
  }
  std::string_view port_text;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' after IPv6 address";
      return std::nullopt;
    }
    t.host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        error = "unexpected text after ']'";
        return std::nullopt;
      }
      port_text = rest.substr(1);
      has_port = true;
    }
  } else if (const auto colon = text.find(':'); colon != std::string_view::npos &&
                                                 text.find(':', colon + 1) == std::string_view::npos) {
    t.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    has_port = true;
  } else {
    t.host = std::string(text);  // a name, IPv4, or a bare IPv6 literal (several ':')
  }
  if (t.host.empty()) {
    error = "missing host";
    return std::nullopt;
  }
  if (has_port) {
    t.port = parse_port(port_text);
    if (!t.port) {
      error = "bad port '" + std::string(port_text) + "'";
      return std::nullopt;
    }
  }
  return t;
}

std::string host_port(std::string_view host, std::uint16_t port) {
  std::string out;
  if (host.find(':') != std::string_view::npos) {
    out = "[" + std::string(host) + "]";
  } else {
    out = std::string(host);
  }
  return out + ":" + std::to_string(port);
}

bool is_ip_literal(const std::string& host) {
  in6_addr a6{};
  in_addr a4{};
  return ::inet_pton(AF_INET, host.c_str(), &a4) == 1 || ::inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

bool is_loopback_host(const std::string& host) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "localhost") return true;
  in_addr a4{};
  if (::inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6{};
  if (::inet_pton(AF_INET6, host.c_str(), &a6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

}  // namespace ferry::client
