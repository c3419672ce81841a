// An upload into a jailed home, without sockets: shared by the native
// protocol and the FTP front-end. Bytes go to ".NAME.ferry-part" beside the
// target; commit() checks the byte count and the digest and only then renames
// the part over the target, so no reader ever sees a half-written file under
// the real name. While open it holds the target's path lock (one writer per
// file) and a quota reservation for the bytes still to come.
//
// Quota (vfs/disk_charge.hpp): a new part file is a name, charged (one unit
// and one file) before it is created. As bytes land the ledger counts the
// part at its length rounded up to 4 KiB, taken from the reservation (its
// announced size rounded up); whenever the upload stops writing (commit,
// abort, failure, disconnect) the part is measured and the ledger settled
// to its real charge, so the ledger always ends where a walk of the home
// would.
//
// A disconnect simply destroys the upload: the part file stays for the next
// upload of the same path to resume from, the lock and the unused reservation
// are returned.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "proto/errc.hpp"
#include "transfer/digest.hpp"
#include "vfs/disk_charge.hpp"
#include "vfs/part_file.hpp"
#include "vfs/path_locks.hpp"

namespace ferry::vfs {
class jail;
class quota_ledger;
}  // namespace ferry::vfs

namespace ferry::transfer {

struct upload_request {
  std::string path;                   ///< normalized virtual path of the target
  std::optional<std::uint64_t> size;  ///< whole-file size; nullopt = unknown (FTP)
  std::string algo{default_algo};
  bool resume = true;                 ///< continue from an existing part file
  /// FTP APPE / REST: start from this many bytes of the existing part file
  /// (nullopt = its whole length when resuming).
  std::optional<std::uint64_t> offset;
  /// FTP REST + STOR / APPE on a file that has no part file: copy the first
  /// `offset` bytes of the existing target into the part, so the append stays
  /// atomic (the target is replaced only when the upload completes).
  bool seed_from_target = false;
  /// FTP APPE on an existing target: seed even when the part file already
  /// holds `offset` bytes, so a stale part of an earlier upload never stands
  /// in for the target's content.
  bool seed_always = false;
  /// The modification time (unix seconds) the committed file gets; nullopt
  /// leaves the time of the last write.
  std::optional<std::int64_t> mtime;
};

class upload {
 public:
  /// Opens the part file, takes the lock and reserves quota. Errors:
  /// bad_request (bad algo), bad_name (name too long), reserved_name,
  /// is_directory, not_found (parent), busy, quota_exceeded, too_many_files
  /// (a new part file past the file-count limit; nothing is created),
  /// offset_beyond_end (a seed the target cannot give: a part file it
  /// created is removed again), and whatever the filesystem says. Makes no
  /// syscall itself: the part file is vfs's.
  static errc begin(const vfs::jail& jail, vfs::quota_ledger& quota, vfs::path_locks& locks,
                    const upload_request& req, std::unique_ptr<upload>& out);
  ~upload();
  upload(const upload&) = delete;
  upload& operator=(const upload&) = delete;

  /// Bytes of the kept prefix not yet hashed. Callers that must not stall
  /// (the event loop) call hash_prefix() in slices until this is 0; write()
  /// otherwise hashes what is left first.
  std::uint64_t prefix_left() const noexcept { return offset_ - hashed_; }
  /// Hashes up to `max` more bytes of the kept prefix; false on a read error.
  bool hash_prefix(std::uint64_t max);

  /// Bytes already in the part file, where new data starts.
  std::uint64_t offset() const noexcept { return offset_; }
  /// Bytes written since begin().
  std::uint64_t written() const noexcept { return written_; }
  const std::string& path() const noexcept { return path_; }

  /// Appends bytes. Errors: size_mismatch (more than announced),
  /// quota_exceeded, io errors (disk full: quota_exceeded is not used for
  /// ENOSPC; it is errc_from_errno). After an error the upload is dead.
  errc write(const char* data, std::size_t n);

  /// Finishes: byte count must match the announced size (else
  /// size_mismatch), the digest (when
  /// `expected` is given) must match, then the part becomes the target.
  /// `actual` receives the computed digest. On checksum_mismatch the part file
  /// is deleted; on a count mismatch it is kept for resuming.
  errc commit(std::optional<std::string_view> expected, std::string& actual);

  /// Ends without committing; `discard` deletes the part file.
  void abort(bool discard);

 private:
  upload() = default;
  void finish();
  /// Creates (or opens) the part file, charging a new one first.
  errc open_part();
  /// Fills the part file with the first `n` bytes of the target.
  errc seed(std::uint64_t n);
  /// Counts the bytes written so far (from the reservation).
  void count_written();
  /// Measures the part file and brings the ledger to its real charge.
  void settle();
  /// Deletes the part file and gives back its name and charge.
  void discard_part();

  vfs::quota_ledger* quota_ = nullptr;
  vfs::part_file part_;
  std::string path_;
  std::optional<std::uint64_t> size_;
  std::uint64_t offset_ = 0;
  std::uint64_t hashed_ = 0;    ///< prefix bytes already in the digest
  std::uint64_t written_ = 0;
  std::uint64_t reserved_ = 0;  ///< still-unused reservation
  std::uint64_t counted_ = 0;   ///< what the ledger charges for the part file now
  vfs::usage replaced_;         ///< the name a commit replaces, with its charge
  std::string algo_;
  std::optional<std::int64_t> mtime_;
  std::unique_ptr<digest> digest_;
  vfs::path_locks::guard lock_;
  bool active_ = false;  ///< begin() succeeded: lock and reservation are ours
  bool dead_ = false;
  bool done_ = false;
  bool discarded_ = false;
};

}  // namespace ferry::transfer
