#include "ftp/address.hpp"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <vector>

namespace ferry::ftp {
namespace {

std::optional<unsigned> number(std::string_view s, unsigned max) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

}  // namespace

std::optional<host_port> parse_port_arg(std::string_view arg) {
  std::array<unsigned, 6> v{};
  std::size_t i = 0;
  while (i < 6) {
    const auto comma = arg.find(',');
    const auto part = arg.substr(0, comma);
    auto n = number(part, 255);
    if (!n) return std::nullopt;
    v[i++] = *n;
    if (comma == std::string_view::npos) break;
    arg.remove_prefix(comma + 1);
    if (i == 6) return std::nullopt;  // trailing fields
  }
  if (i != 6) return std::nullopt;
  host_port hp;
  hp.host = std::to_string(v[0]) + "." + std::to_string(v[1]) + "." + std::to_string(v[2]) + "." +
            std::to_string(v[3]);
  hp.port = static_cast<std::uint16_t>(v[4] * 256 + v[5]);
  if (hp.port == 0) return std::nullopt;
  return hp;
}

std::optional<host_port> parse_eprt_arg(std::string_view arg) {
  if (arg.size() < 7) return std::nullopt;
  const char d = arg.front();
  if (d < 33 || d > 126) return std::nullopt;
  std::vector<std::string_view> parts;
  std::string_view rest = arg.substr(1);
  for (int k = 0; k < 3; ++k) {
    const auto pos = rest.find(d);
    if (pos == std::string_view::npos) return std::nullopt;
    parts.push_back(rest.substr(0, pos));
    rest.remove_prefix(pos + 1);
  }
  if (!rest.empty()) return std::nullopt;
  host_port hp;
  if (parts[0] == "1") hp.v6 = false;
  else if (parts[0] == "2") hp.v6 = true;
  else return std::nullopt;
  const std::string host(parts[1]);
  std::array<unsigned char, 16> buf{};
  if (::inet_pton(hp.v6 ? AF_INET6 : AF_INET, host.c_str(), buf.data()) != 1) return std::nullopt;
  auto port = number(parts[2], 65535);
  if (!port || *port == 0) return std::nullopt;
  hp.host = host;
  hp.port = static_cast<std::uint16_t>(*port);
  return hp;
}

std::string pasv_text(std::string_view ipv4, std::uint16_t port) {
  std::string h(ipv4);
  for (char& c : h)
    if (c == '.') c = ',';
  return "Entering Passive Mode (" + h + "," + std::to_string(port / 256) + "," +
         std::to_string(port % 256) + ").";
}

std::string epsv_text(std::uint16_t port) {
  return "Entering Extended Passive Mode (|||" + std::to_string(port) + "|)";
}

}  // namespace ferry::ftp
