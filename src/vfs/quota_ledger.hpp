// One user's disk-quota ledger: bytes on disk (`used`, part files included,
// plus entry_charge per name)
// plus bytes promised to uploads in progress (`reserved`). An upload reserves
// what it will write before the first byte arrives, so two sessions of one
// user can never jointly overshoot the limit, and moves bytes from reserved to
// used as they land.
//
// quota_ledger is the interface (a shared store can keep one ledger for
// several ferryd nodes on one filesystem); local_quota_ledger is the
// in-process one: pure arithmetic behind a mutex, shared by every session of
// the user, on any thread.
#pragma once
#include <cstdint>
#include <mutex>

namespace ferry::vfs {

/// What every name in a home costs on top of its bytes: a block and an
/// inode. Counting file sizes alone, 20,000 one-byte files and 20,000
/// directories cost 20 KB of quota and 157 MiB of disk (and the shared
/// filesystem's inodes); with it they cost 160 MiB.
inline constexpr std::uint64_t entry_charge = 4096;

class quota_ledger {
 public:
  struct snapshot {
    std::uint64_t used = 0;
    std::uint64_t reserved = 0;
    std::uint64_t limit = 0;  ///< 0 = unlimited
  };

  /// Pure rule: does writing `add` more bytes fit, given that `replaced` bytes
  /// go away when the upload lands (the file it replaces)?
  static bool fits(const snapshot& s, std::uint64_t add, std::uint64_t replaced) noexcept;

  /// Sets the usage measured on disk. Ignored while uploads are open (their
  /// reservations and partial writes would be double-counted).
  virtual void resync(std::uint64_t used_on_disk) = 0;
  /// True once resync() has been called.
  virtual bool known() const = 0;
  virtual void set_limit(std::uint64_t limit) = 0;

  /// Reserves `add` bytes for an upload that will replace `replaced` bytes.
  /// False (nothing reserved) when it does not fit.
  virtual bool reserve(std::uint64_t add, std::uint64_t replaced) = 0;
  /// `n` reserved bytes were written to disk.
  virtual void wrote(std::uint64_t n) = 0;
  /// Returns `n` unused reserved bytes.
  virtual void release(std::uint64_t n) = 0;
  /// Writes `n` bytes without a prior reservation (uploads of unknown size);
  /// false when they do not fit.
  virtual bool grow(std::uint64_t n, std::uint64_t replaced) = 0;
  /// `n` bytes left the disk (rm, replaced file, discarded part file).
  virtual void freed(std::uint64_t n) = 0;
  /// Still within the limit, counting `replaced` as about to go away? (A
  /// limit lowered mid-upload makes this false.)
  virtual bool within(std::uint64_t replaced) const = 0;

  virtual void open_upload() = 0;
  virtual void close_upload() = 0;

  virtual snapshot get() const = 0;

  virtual ~quota_ledger() = default;
};

/// The ledger of one user in one ferryd process.
class local_quota_ledger final : public quota_ledger {
 public:
  void resync(std::uint64_t used_on_disk) override;
  bool known() const override;
  void set_limit(std::uint64_t limit) override;
  bool reserve(std::uint64_t add, std::uint64_t replaced) override;
  void wrote(std::uint64_t n) override;
  void release(std::uint64_t n) override;
  bool grow(std::uint64_t n, std::uint64_t replaced) override;
  void freed(std::uint64_t n) override;
  bool within(std::uint64_t replaced) const override;
  void open_upload() override;
  void close_upload() override;
  snapshot get() const override;

 private:
  mutable std::mutex mu_;
  snapshot s_;
  unsigned open_uploads_ = 0;
  bool known_ = false;
};

}  // namespace ferry::vfs
