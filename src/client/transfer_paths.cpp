// Path helpers for get / put.
#include "client/transfer_paths.hpp"

#include "vfs/virtual_path.hpp"

namespace ferry::client {

std::string base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  if (path == "/") return {};
  const auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string dir_name(std::string_view path) {
  const auto slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  return slash == 0 ? std::string("/") : std::string(path.substr(0, slash));
}

bool usable_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

std::string join_path(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out.push_back('/');
  out.append(name);
  return out;
}

std::string part_path(std::string_view target) {
  while (target.size() > 1 && target.back() == '/') target.remove_suffix(1);
  const auto slash = target.rfind('/');
  const std::string_view dir =
      slash == std::string_view::npos ? std::string_view() : target.substr(0, slash + 1);
  const std::string_view name = slash == std::string_view::npos ? target : target.substr(slash + 1);
  return std::string(dir) + vfs::part_name(name);
}

bool has_trailing_slash(std::string_view path) { return !path.empty() && path.back() == '/'; }

std::string tree_root(std::string_view dest, std::string_view name) {
  const std::string last = base_name(dest);
  const bool into = dest.empty() || has_trailing_slash(dest) || last == "." || last == "..";
  if (!into) return std::string(dest);
  return usable_name(name) ? join_path(dest, name) : std::string();
}

}  // namespace ferry::client
