// Lexical path normalisation for virtual paths.
#include "vfs/virtual_path.hpp"

#include <cstdio>
#include <optional>
#include <vector>

#include <xxhash.h>

#include "proto/limits.hpp"

namespace ferry::vfs {
namespace {

std::string describe_control_char(char c) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto b = static_cast<unsigned char>(c);
  return std::string("name contains a control character (0x") + hex[b >> 4] + hex[b & 0xf] + ")";
}

}  // namespace

std::size_t find_control_char(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x20 || b == 0x7f) return i;
  }
  return std::string_view::npos;
}

std::optional<std::string> resolve(std::string_view cwd, std::string_view path, std::string& why) {
  if (path.empty()) {
    why = "empty path";
    return std::nullopt;
  }
  // SECURITY: a NUL would truncate the name at the syscall boundary.
  if (path.find('\0') != std::string_view::npos) {
    why = "path contains a NUL byte";
    return std::nullopt;
  }
  // SECURITY: CR/LF in a name would forge lines of FTP listings (issue 11);
  // no control character belongs in a name, so none is ever created.
  if (const auto bad = find_control_char(path); bad != std::string_view::npos) {
    why = describe_control_char(path[bad]);
    return std::nullopt;
  }
  if (path.size() > limits::max_path) {
    why = "path too long";
    return std::nullopt;
  }
  std::vector<std::string_view> parts;
  auto push_components = [&](std::string_view p) -> bool {
    std::size_t i = 0;
    while (i <= p.size()) {
      std::size_t j = p.find('/', i);
      if (j == std::string_view::npos) j = p.size();
      std::string_view c = p.substr(i, j - i);
      i = j + 1;
      if (c.empty() || c == ".") continue;
      if (c == "..") {
        if (!parts.empty()) parts.pop_back();  // ".." at "/" stays at "/"
        continue;
      }
      if (c.size() > limits::max_name) {
        why = "name longer than 255 bytes";
        return false;
      }
      parts.push_back(c);
    }
    return true;
  };
  if (path.front() != '/' && !push_components(cwd)) return std::nullopt;
  if (!push_components(path)) return std::nullopt;

  std::string out;
  for (auto c : parts) {
    out += '/';
    out += c;
  }
  if (out.empty()) out = "/";
  if (out.size() > limits::max_path) {
    why = "path too long";
    return std::nullopt;
  }
  return out;
}

split_path split(std::string_view normalized) {
  if (normalized == "/" || normalized.empty()) return {"/", ""};
  const auto slash = normalized.rfind('/');
  std::string parent(normalized.substr(0, slash));
  if (parent.empty()) parent = "/";
  return {std::move(parent), std::string(normalized.substr(slash + 1))};
}

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string relative(std::string_view normalized) {
  if (normalized.size() <= 1) return ".";
  return std::string(normalized.substr(1));
}

namespace {
constexpr std::string_view part_suffix = ".ferry-part";
}

std::string part_name(std::string_view leaf) {
  std::string plain = "." + std::string(leaf) + std::string(part_suffix);
  if (plain.size() <= limits::max_name) return plain;
  // Names of 244-255 bytes: the affixes would pass the 255-byte limit, so
  // the part is ".PREFIX~HASH.ferry-part" -- still a part file to
  // is_part_file(), one per name by a hash of the whole name. (A crafted
  // collision could only make a user's own two uploads share a part.)
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(XXH3_64bits(leaf.data(), leaf.size())));
  std::size_t keep = limits::max_name - 2 - 16 - part_suffix.size();
  // Cut on a UTF-8 character boundary.
  while (keep > 0 && (static_cast<unsigned char>(leaf[keep]) & 0xC0) == 0x80) --keep;
  return "." + std::string(leaf.substr(0, keep)) + "~" + hash + std::string(part_suffix);
}

bool is_part_file(std::string_view name) {
  constexpr std::string_view suffix = part_suffix;
  return name.size() > suffix.size() + 1 && name.front() == '.' &&
         name.substr(name.size() - suffix.size()) == suffix;
}

bool has_part_component(std::string_view normalized) {
  std::size_t pos = 0;
  while (pos < normalized.size()) {
    auto next = normalized.find('/', pos);
    if (next == std::string_view::npos) next = normalized.size();
    if (is_part_file(normalized.substr(pos, next - pos))) return true;
    pos = next + 1;
  }
  return false;
}

std::optional<std::string> shown_link_target(std::string_view link_dir, std::string_view target) {
  if (target.empty() || target.front() == '/') return std::nullopt;
  std::size_t depth = 0;
  const auto walk = [&depth](std::string_view path, bool may_climb) {
    while (!path.empty()) {
      const auto slash = path.find('/');
      const std::string_view part = path.substr(0, slash);
      path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (depth == 0 || !may_climb) return false;
        --depth;
      } else {
        ++depth;
      }
    }
    return true;
  };
  if (!walk(link_dir, false) || !walk(target, true)) return std::nullopt;
  return std::string(target);
}

}  // namespace ferry::vfs
