// One user's disk-quota ledger: bytes on disk (`used`, part files included)
// plus bytes promised to uploads in progress (`reserved`). An upload reserves
// what it will write before the first byte arrives, so two sessions of one
// user can never jointly overshoot the limit, and moves bytes from reserved to
// used as they land. Pure arithmetic behind a mutex: shared by every session of
// the user, on any thread.
#pragma once
#include <cstdint>
#include <mutex>

namespace ferry::vfs {

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
  void resync(std::uint64_t used_on_disk);
  /// True once resync() has been called.
  bool known() const;
  void set_limit(std::uint64_t limit);

  /// Reserves `add` bytes for an upload that will replace `replaced` bytes.
  /// False (nothing reserved) when it does not fit.
  bool reserve(std::uint64_t add, std::uint64_t replaced);
  /// `n` reserved bytes were written to disk.
  void wrote(std::uint64_t n);
  /// Returns `n` unused reserved bytes.
  void release(std::uint64_t n);
  /// Writes `n` bytes without a prior reservation (uploads of unknown size);
  /// false when they do not fit.
  bool grow(std::uint64_t n, std::uint64_t replaced);
  /// `n` bytes left the disk (rm, replaced file, discarded part file).
  void freed(std::uint64_t n);
  /// Still within the limit, counting `replaced` as about to go away? (A
  /// limit lowered mid-upload makes this false.)
  bool within(std::uint64_t replaced) const;

  void open_upload();
  void close_upload();

  snapshot get() const;

 private:
  mutable std::mutex mu_;
  snapshot s_;
  unsigned open_uploads_ = 0;
  bool known_ = false;
};

}  // namespace ferry::vfs
