// What the quota charges for a name in a home: the one rule that the login
// walk, uploads, rm, mkdir, rmdir and mv all apply, so that the live ledger
// and a fresh walk of the home always agree (issue 11, bug 5).
//
// The rule. Every name in a home - regular file, directory, symlink, part
// file, anything else; each hard link on its own - counts as one file and costs
//
//     max(4096,
//         st_blocks * 512 rounded up to 4096,
//         st_size rounded up to 4096          (regular files only))
//
// bytes, from its lstat. The home directory itself costs what its own blocks
// grow past the first (a home of 40,000 names has grown, its first block is
// the admin's). So:
// - a one-byte or empty file, a symlink or an empty directory costs 4096
//   (a block and an inode on every common filesystem), 20,000 of them 80 MB;
// - a directory costs its allocated blocks, growing as names are added;
// - a file costs its blocks, or its length rounded up when that is more.
//
// Why the length is a floor, always and not only while a file is written:
// the charge must be a function of what stays put. Allocation lags and
// shrinks behind the writes (delayed allocation, compression at writeback,
// inline data, XFS trimming preallocation at close): charged by blocks alone,
// the same file would cost one figure when its upload ends and another at the
// next login, and the ledger would drift. The length only changes when the
// user changes it. It also makes an upload's reservation (its announced size
// rounded up) the charge it will land with on a filesystem of 4 KiB blocks.
// Blocks count where they exceed the length: larger blocks (64 KiB on some
// filesystems), indirect and extent blocks, preallocation. The price: a
// sparse file (which no protocol operation makes; exec or an admin can)
// costs its length, as it would once copied or appended to.
//
// Pure arithmetic; the measuring (fstat) is in disk_meter.hpp.
#pragma once
#include <cstdint>

struct stat;

namespace ferry::vfs {

/// The unit of charge: every name costs at least this, and charges are
/// multiples of it.
inline constexpr std::uint64_t charge_unit = 4096;

/// `n` rounded up to charge_unit (saturating near 2^64).
std::uint64_t round_to_unit(std::uint64_t n) noexcept;

/// The rule above: `blocks` in 512-byte units (st_blocks), `size` in bytes
/// (counted only when `regular`).
std::uint64_t charge_of(bool regular, std::uint64_t size, std::uint64_t blocks) noexcept;
/// The rule applied to an lstat/fstat result.
std::uint64_t charge_of(const struct stat& st) noexcept;
/// The charge of a regular file of `size` bytes whose blocks do not exceed
/// its length: what an upload counts as its bytes arrive.
inline std::uint64_t charge_of_size(std::uint64_t size) noexcept { return charge_of(true, size, 0); }

/// A quantity of disk in quota terms: charged bytes and names.
struct usage {
  std::uint64_t bytes = 0;
  std::uint64_t files = 0;
  usage& operator+=(const usage& o) noexcept;
  bool operator==(const usage&) const = default;
};

/// What an operation changed: usage added and usage removed (kept apart so
/// no signed arithmetic is needed; a directory can grow in one operation and
/// shrink in the next).
struct usage_change {
  usage added;
  usage removed;
  usage_change& operator+=(const usage_change& o) noexcept;
  /// Adds `now - before` for a quantity measured before and after.
  void record(std::uint64_t before, std::uint64_t now) noexcept;
};

}  // namespace ferry::vfs
