// The charging rule's arithmetic (disk_charge.hpp).
#include "vfs/disk_charge.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <limits>

namespace ferry::vfs {

std::uint64_t round_to_unit(std::uint64_t n) noexcept {
  constexpr auto top = std::numeric_limits<std::uint64_t>::max() / charge_unit * charge_unit;
  if (n > top) return top;
  return (n + charge_unit - 1) / charge_unit * charge_unit;
}

std::uint64_t charge_of(bool regular, std::uint64_t size, std::uint64_t blocks) noexcept {
  // blocks * 512 without overflow (st_blocks is far below 2^55 in practice).
  const std::uint64_t allocated = blocks > (std::numeric_limits<std::uint64_t>::max() >> 9)
                                      ? std::numeric_limits<std::uint64_t>::max()
                                      : blocks << 9;
  std::uint64_t c = std::max(charge_unit, round_to_unit(allocated));
  if (regular) c = std::max(c, round_to_unit(size));
  return c;
}

std::uint64_t charge_of(const struct stat& st) noexcept {
  return charge_of(S_ISREG(st.st_mode), st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0,
                   st.st_blocks > 0 ? static_cast<std::uint64_t>(st.st_blocks) : 0);
}

usage& usage::operator+=(const usage& o) noexcept {
  bytes += o.bytes;
  files += o.files;
  return *this;
}

usage_change& usage_change::operator+=(const usage_change& o) noexcept {
  added += o.added;
  removed += o.removed;
  return *this;
}

void usage_change::record(std::uint64_t before, std::uint64_t now) noexcept {
  if (now > before) added.bytes += now - before;
  else removed.bytes += before - now;
}

}  // namespace ferry::vfs
