#include "vfs/digest_cache.hpp"

#include <sys/stat.h>
#include <sys/xattr.h>

#include <array>
#include <cstdint>
#include <optional>

#include "proto/hex.hpp"

namespace ferry::vfs {
namespace {

std::string attr_name(std::string_view algo) {
  return "user.ferry.digest." + std::string(algo);
}

/// The value is binary and short: size and mtime (8 bytes each, little
/// endian), then the raw digest: 32 bytes for xxh128, so with its name it fits
/// in an ext4 inode of 256 bytes and takes no block of its own (the text
/// form it replaced did not, and made every small file cost a block).
constexpr std::size_t stamp_bytes = 16;

std::string stamp(const struct stat& st) {
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const auto mtime_ns = static_cast<std::uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL +
                        static_cast<std::uint64_t>(st.st_mtim.tv_nsec);
  std::string out(stamp_bytes, '\0');
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = static_cast<char>((size >> (8 * i)) & 0xff);
    out[8 + i] = static_cast<char>((mtime_ns >> (8 * i)) & 0xff);
  }
  return out;
}

/// Stores the xattr; with `may_grow` false, removes it again when it made the
/// file's allocation grow.
void store(int fd, std::string_view algo, const struct stat& st, std::string_view hex, bool may_grow) {
  // SECURITY: an inode with more than one name may also be reachable outside
  // the home (a hard link an admin made): never write to it, nor trust what
  // is written on it.
  struct stat now {};
  if (st.st_nlink != 1 || ::fstat(fd, &now) != 0 || now.st_nlink != 1) return;
  const auto raw = proto::from_hex(hex);
  if (!raw) return;
  const std::string value = stamp(st) + *raw;
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
  // Anything else (another size or mtime, the old text form) is no digest.
  if (value.size() <= stamp_bytes || !value.starts_with(stamp(st))) return std::nullopt;
  return proto::to_hex(value.substr(stamp_bytes));
}

void store_cached_digest(int fd, std::string_view algo, const struct stat& st, std::string_view hex) {
  store(fd, algo, st, hex, false);
}

void store_cached_digest(int fd, std::string_view algo, std::string_view hex) {
  struct stat st {};
  if (::fstat(fd, &st) == 0) store(fd, algo, st, hex, true);
}

}  // namespace ferry::vfs
