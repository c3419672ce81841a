// One user's disk-quota ledger, in the terms of disk_charge.hpp: the charged
// bytes of every name in the home (`used`, part files included) and the
// number of names (`files`), plus bytes promised to uploads in progress
// (`reserved`). An upload reserves what it will write before the first byte
// arrives, so two sessions of one user can never jointly overshoot the limit,
// and moves bytes from reserved to used as they land. Operations that add or
// remove names charge an estimate first (refused when it does not fit), then
// settle to what they measured.
//
// Invariant: used and files are what a walk of the home (jail::usage) would
// measure, as long as every change goes through the ledger (changes behind
// the server's back are picked up by the next walk, resync()).
//
// quota_ledger is the interface (a shared store can keep one ledger for
// several ferryd nodes on one filesystem); local_quota_ledger is the
// in-process one: pure arithmetic behind a mutex, shared by every session of
// the user, on any thread.
#pragma once
#include <cstdint>
#include <mutex>

#include "proto/errc.hpp"
#include "vfs/disk_charge.hpp"

namespace ferry::vfs {

class quota_ledger {
 public:
  struct snapshot {
    std::uint64_t used = 0;
    std::uint64_t reserved = 0;
    std::uint64_t limit = 0;      ///< bytes; 0 = unlimited
    std::uint64_t files = 0;      ///< names in the home
    std::uint64_t max_files = 0;  ///< 0 = unlimited
  };

  /// Pure rule for bytes: does writing `add` more bytes fit, given that
  /// `replaced` bytes go away when the upload lands (the file it replaces)?
  static bool fits(const snapshot& s, std::uint64_t add, std::uint64_t replaced) noexcept;
  /// Pure rule for a change that adds `add` (bytes and names) and will take
  /// `replaced` away: ok, too_many_files (only checked when names are
  /// added) or quota_exceeded.
  static errc admits(const snapshot& s, const usage& add, const usage& replaced) noexcept;

  /// Sets the usage measured on disk. Ignored while uploads are open (their
  /// reservations and partial writes would be double-counted).
  virtual void resync(const usage& on_disk) = 0;
  /// True once resync() has been called.
  virtual bool known() const = 0;
  /// Bytes and names allowed; 0 = unlimited.
  virtual void set_limits(std::uint64_t bytes, std::uint64_t files) = 0;

  /// Charges `add` when admits() says ok; returns its verdict.
  virtual errc charge(const usage& add, const usage& replaced) = 0;
  /// Applies a measured change, whatever the limits (it happened).
  virtual void apply(const usage_change& c) = 0;

  /// Reserves `add` bytes for an upload that will replace `replaced` bytes.
  /// False (nothing reserved) when it does not fit.
  virtual bool reserve(std::uint64_t add, std::uint64_t replaced) = 0;
  /// `n` reserved bytes were written to disk.
  virtual void wrote(std::uint64_t n) = 0;
  /// Returns `n` unused reserved bytes.
  virtual void release(std::uint64_t n) = 0;
  /// Still within the byte limit, counting `replaced` as about to go away?
  /// (A limit lowered mid-upload makes this false.)
  virtual bool within(std::uint64_t replaced) const = 0;

  virtual void open_upload() = 0;
  virtual void close_upload() = 0;

  /// Held around an operation that measures a directory before and after
  /// changing it (disk_meter.hpp), so that the user's other sessions, on
  /// other threads, do not count the same growth twice. Never taken while
  /// a ledger call is in progress; ledger calls may be made while holding it.
  virtual std::unique_lock<std::mutex> lock_changes() = 0;

  virtual snapshot get() const = 0;

  virtual ~quota_ledger() = default;
};

/// The ledger of one user in one ferryd process.
class local_quota_ledger final : public quota_ledger {
 public:
  void resync(const usage& on_disk) override;
  bool known() const override;
  void set_limits(std::uint64_t bytes, std::uint64_t files) override;
  errc charge(const usage& add, const usage& replaced) override;
  void apply(const usage_change& c) override;
  bool reserve(std::uint64_t add, std::uint64_t replaced) override;
  void wrote(std::uint64_t n) override;
  void release(std::uint64_t n) override;
  bool within(std::uint64_t replaced) const override;
  void open_upload() override;
  void close_upload() override;
  std::unique_lock<std::mutex> lock_changes() override;
  snapshot get() const override;

 private:
  mutable std::mutex mu_;
  std::mutex changes_;
  snapshot s_;
  unsigned open_uploads_ = 0;
  bool known_ = false;
};

}  // namespace ferry::vfs
