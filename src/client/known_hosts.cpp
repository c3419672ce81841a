// known_hosts: the line format, the lookup, and the file's location, reading
// and appending.
#include "client/known_hosts.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "client/target.hpp"

namespace ferry::client {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// The next whitespace-separated field of `line` (empty at the end).
std::string_view next_field(std::string_view& line) {
  while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
  std::size_t n = 0;
  while (n < line.size() && !is_blank(line[n])) ++n;
  const std::string_view field = line.substr(0, n);
  line.remove_prefix(n);
  return field;
}


std::string os_error(const std::string& what, const std::filesystem::path& p) {
  return what + " " + p.string() + ": " + std::strerror(errno);
}

/// Creates each missing directory of `dir` with mode 0700.
bool make_dirs(const std::filesystem::path& dir, std::string& error) {
  std::filesystem::path prefix;
  for (const auto& part : dir) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      error = os_error("cannot create", prefix);
      return false;
    }
  }
  return true;
}

}  // namespace

std::string pin_key(std::string_view host, std::uint16_t port) {
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host_port(lower, port);
}

std::string fingerprint_digits(std::string_view text) {
  // Drop a label ("SHA256:", "sha256 Fingerprint=") up to its last ':' or
  // '=' that is followed by more than two characters of digits.
  if (const auto eq = text.rfind('='); eq != std::string_view::npos) text.remove_prefix(eq + 1);
  if (text.size() > 7 && (text.substr(0, 7) == "SHA256:" || text.substr(0, 7) == "sha256:"))
    text.remove_prefix(7);
  std::string digits;
  for (const char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    digits += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return digits.size() == 64 ? digits : std::string();
}

pin_lookup find_pin(std::string_view text, std::string_view key, std::string_view fingerprint) {
  pin_lookup out;
  const std::string offered = fingerprint_digits(fingerprint);
  std::size_t number = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++number;
    const std::string_view host = next_field(line);
    if (host.empty() || host.front() == '#') continue;
    const std::string_view pin = next_field(line);
    if (pin.empty() || host != key) continue;
    const std::string pinned = fingerprint_digits(pin);
    if (!pinned.empty() && pinned == offered)
      return pin_lookup{pin_lookup::state::match, number, std::string(pin)};
    if (out.status == pin_lookup::state::unknown)
      out = pin_lookup{pinned.empty() ? pin_lookup::state::malformed : pin_lookup::state::changed, number,
                       std::string(pin)};
  }
  return out;
}

std::string pin_line(std::string_view key, std::string_view fingerprint) {
  std::string line(key);
  line += ' ';
  line += fingerprint;
  return line;
}

std::filesystem::path known_hosts_path(const char* xdg_config_home, const char* home) {
  std::filesystem::path config;
  if (xdg_config_home != nullptr && xdg_config_home[0] == '/') {
    config = xdg_config_home;
  } else {
    std::string h = home != nullptr ? home : "";
    if (h.empty()) {
      if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
        h = pw->pw_dir;
    }
    config = std::filesystem::path(h.empty() ? "/" : h) / ".config";
  }
  return config / "ferry" / "known_hosts";
}

std::optional<std::string> read_known_hosts(const std::filesystem::path& file, std::string& error) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::string();
    error = os_error("cannot read", file);
    return std::nullopt;
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = os_error("cannot read", file);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

bool append_pin(const std::filesystem::path& file, std::string_view key,
                std::string_view fingerprint, std::string& error) {
  if (file.has_parent_path() && !make_dirs(file.parent_path(), error)) return false;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = os_error("cannot open", file);
    return false;
  }
  std::string bytes;
  struct stat st {};
  char last = '\n';
  if (::fstat(fd, &st) == 0 && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 &&
      last != '\n')
    bytes = "\n";
  bytes += pin_line(key, fingerprint);
  bytes += '\n';
  std::string_view rest = bytes;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = os_error("cannot write", file);
      ::close(fd);
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd) != 0) {
    error = os_error("cannot write", file);
    return false;
  }
  return true;
}

}  // namespace ferry::client
