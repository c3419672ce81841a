#include "vfs/digest_cache.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <array>
#include <cstdio>

namespace ferry::vfs {
namespace {

std::string attr_name(std::string_view algo) {
  return "user.ferry.digest." + std::string(algo);
}

std::string stamp(const struct stat& st) {
  const long long mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return std::to_string(static_cast<long long>(st.st_size)) + " " + std::to_string(mtime_ns) + " ";
}

/// Stores the xattr; with `may_grow` false, removes it again when it made the
/// file's allocation grow.
void store(int fd, std::string_view algo, const struct stat& st, std::string_view hex, bool may_grow) {
  // SECURITY: an inode with more than one name may also be reachable outside
  // the home (a hard link an admin made): never write to it, nor trust what
  // is written on it.
  struct stat now {};
  if (st.st_nlink != 1 || ::fstat(fd, &now) != 0 || now.st_nlink != 1) return;
  const std::string value = stamp(st) + std::string(hex);
  const std::string name = attr_name(algo);
  if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0 || may_grow) return;
  struct stat after {};
  if (::fstat(fd, &after) == 0 && after.st_blocks > now.st_blocks) (void)::fremovexattr(fd, name.c_str());
}

}  // namespace

std::optional<std::string> load_cached_digest(int fd, std::string_view algo, const struct stat& st) {
  if (st.st_nlink != 1) return std::nullopt;  // see store_cached_digest
  std::array<char, 256> buf{};
  const auto n = ::fgetxattr(fd, attr_name(algo).c_str(), buf.data(), buf.size());
  if (n <= 0) return std::nullopt;
  const std::string_view value(buf.data(), static_cast<std::size_t>(n));
  const std::string prefix = stamp(st);
  if (!value.starts_with(prefix)) return std::nullopt;
  auto hex = value.substr(prefix.size());
  if (hex.empty() || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return std::nullopt;
  return std::string(hex);
}

void store_cached_digest(int fd, std::string_view algo, const struct stat& st, std::string_view hex) {
  store(fd, algo, st, hex, false);
}

void store_cached_digest(int fd, std::string_view algo, std::string_view hex) {
  struct stat st {};
  if (::fstat(fd, &st) == 0) store(fd, algo, st, hex, true);
}

}  // namespace ferry::vfs
