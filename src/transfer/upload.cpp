// Upload state machine over a vfs::part_file (no syscalls here).
#include "transfer/upload.hpp"

#include <algorithm>

#include "vfs/digest_cache.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"

namespace ferry::transfer {

errc upload::begin(const vfs::jail& jail, vfs::quota_ledger& quota, vfs::path_locks& locks,
                   const upload_request& req, std::unique_ptr<upload>& out) {
  if (!known_algo(req.algo)) return errc::bad_request;
  std::unique_ptr<upload> u(new upload());
  u->path_ = req.path;
  u->size_ = req.size;
  u->algo_ = req.algo;
  u->mtime_ = req.mtime;
  u->quota_ = &quota;

  if (auto e = vfs::part_file::open(jail, req.path, u->part_); e != errc::ok) return e;
  vfs::path_key key;
  if (auto e = u->part_.lock_key(key); e != errc::ok) return e;
  u->lock_ = locks.try_lock(std::move(key));
  if (!u->lock_) return errc::busy;
  if (auto e = u->part_.replaced(u->replaced_); e != errc::ok) return e;
  if (auto e = u->open_part(); e != errc::ok) return e;
  std::uint64_t have = 0;
  if (auto e = u->part_.size(have); e != errc::ok) return e;

  if (req.resume && req.seed_from_target && req.offset && (*req.offset > have || req.seed_always)) {
    if (auto e = u->seed(*req.offset); e != errc::ok) {
      // REST n + STOR of a missing file: leave no empty part behind.
      if (have == 0) u->discard_part();
      return e;
    }
    have = *req.offset;
  }
  std::uint64_t start = 0;
  if (req.resume) start = req.offset.value_or(have);
  if (start > have || (req.size && start > *req.size)) start = 0;
  if (start < have) {
    if (auto e = u->part_.truncate(start); e != errc::ok) return e;
    u->settle();
  }
  u->offset_ = start;

  // The digest covers the whole file, so a resumed upload hashes the kept
  // prefix once (from the page cache, usually): see hash_prefix().
  u->digest_ = digest::make(req.algo);

  if (req.size) {
    // What the part will be charged once whole, less what it is charged now.
    const std::uint64_t whole = vfs::charge_of_size(*req.size);
    const std::uint64_t need = whole > u->counted_ ? whole - u->counted_ : 0;
    if (!quota.reserve(need, u->replaced_.bytes)) {
      if (have == 0) u->discard_part();  // leave no litter
      return errc::quota_exceeded;
    }
    u->reserved_ = need;
  }
  quota.open_upload();
  u->active_ = true;
  out = std::move(u);
  return errc::ok;
}

upload::~upload() {
  if (active_) finish();
}

errc upload::open_part() {
  const auto changes = quota_->lock_changes();
  // A new part file is a new name: charged before it exists, so one past
  // the file-count limit (or the last block) is never made. The estimate is
  // then settled to what creating it measured (its directory may grow).
  const bool fresh = !part_.exists();
  const vfs::usage estimate{vfs::charge_unit, 1};
  if (fresh) {
    if (auto e = quota_->charge(estimate, replaced_); e != errc::ok) return e;
  }
  vfs::usage_change made;
  const auto e = part_.create(&made);
  if (fresh) made.removed += estimate;
  quota_->apply(made);
  // An existing part is charged already (by the walk, or the upload that
  // left it), at its charge now.
  counted_ = part_.charge();
  return e;
}

void upload::finish() {
  if (done_ || !active_) return;
  done_ = true;
  if (!discarded_) settle();  // a part kept for a resume is charged as it is
  quota_->release(reserved_);
  reserved_ = 0;
  quota_->close_upload();
  lock_.reset();
}

void upload::settle() {
  if (discarded_) return;
  const std::uint64_t now = part_.charge();
  if (now == 0) return;  // not measurable (no part file open)
  vfs::usage_change c;
  c.record(counted_, now);
  quota_->apply(c);
  counted_ = now;
}

void upload::discard_part() {
  if (discarded_) return;
  settle();
  const auto changes = quota_->lock_changes();
  vfs::usage_change gone;
  part_.discard(&gone);
  quota_->apply(gone);
  discarded_ = true;
  counted_ = 0;
}

void upload::count_written() {
  const std::uint64_t now = vfs::charge_of_size(offset_ + written_);
  if (now <= counted_) return;
  const std::uint64_t grown = now - counted_;
  const std::uint64_t promised = std::min(grown, reserved_);
  quota_->wrote(promised);
  if (grown > promised) quota_->apply({.added = {grown - promised, 0}, .removed = {}});
  reserved_ -= promised;
  counted_ = now;
}

errc upload::seed(std::uint64_t n) {
  // The copied prefix sits on disk beside the target until the commit: no
  // discount for the target it may replace.
  const std::uint64_t after = vfs::charge_of_size(n);
  if (after > counted_) {
    if (quota_->charge({after - counted_, 0}, {}) != errc::ok) return errc::quota_exceeded;
    counted_ = after;
  }
  const auto e = part_.seed_from_target(n);
  settle();  // a seed that failed, or replaced a longer stale part, leaves another charge
  return e;
}

bool upload::hash_prefix(std::uint64_t max) {
  const auto n = std::min(max, prefix_left());
  if (n == 0) return true;
  if (!digest_fd_slice(part_.fd(), hashed_, n, *digest_)) return false;
  hashed_ += n;
  return true;
}

errc upload::write(const char* data, std::size_t n) {
  if (dead_ || done_) return errc::bad_request;
  if (prefix_left() > 0 && !hash_prefix(prefix_left())) {
    dead_ = true;
    return errc::internal;
  }
  if (size_ && written_ + n > *size_ - offset_) {
    dead_ = true;
    return errc::size_mismatch;
  }
  if (n == 0) return errc::ok;
  if (size_) {
    if (!quota_->within(replaced_.bytes)) {
      dead_ = true;
      return errc::quota_exceeded;
    }
  } else {
    // Size unknown (FTP): each chunk is charged before it is written.
    const std::uint64_t after = vfs::charge_of_size(offset_ + written_ + n);
    if (after > counted_) {
      if (quota_->charge({after - counted_, 0}, {replaced_.bytes, 0}) != errc::ok) {
        dead_ = true;
        return errc::quota_exceeded;
      }
      counted_ = after;
    }
  }
  std::size_t done = 0;
  if (auto e = part_.write_at(data, n, offset_ + written_, done); e != errc::ok) {
    written_ += done;
    dead_ = true;
    settle();  // only what reached the disk counts
    // A full disk is full for everyone: a part this upload started is
    // dropped at once. One that holds an earlier upload's bytes (a resume,
    // REST, APPE) is kept, so that work is not lost.
    if (e == errc::insufficient_storage && offset_ == 0) abort(true);
    return e;
  }
  written_ += n;
  if (size_) count_written();
  digest_->update(data, n);
  return errc::ok;
}

errc upload::commit(std::optional<std::string_view> expected, std::string& actual) {
  if (dead_ || done_) return errc::bad_request;
  if (size_ && offset_ + written_ != *size_) return errc::size_mismatch;
  if (prefix_left() > 0 && !hash_prefix(prefix_left())) return errc::internal;
  actual = digest_->hex();
  if (expected && *expected != actual) {
    abort(true);
    return errc::checksum_mismatch;
  }
  settle();  // the part's real charge (its blocks may exceed its length)
  // Re-measure what is replaced now: it may have changed since begin().
  vfs::usage replaced;
  if (part_.replaced(replaced) == errc::is_directory) {
    abort(false);
    return errc::is_directory;
  }
  // The reservation counted the file this upload replaces as going away. If
  // it moved or shrank meanwhile (mv X Z during the put of X), committing
  // would keep both: the user must still be within the limit without it.
  if (!quota_->within(replaced.bytes)) {
    abort(true);
    return errc::quota_exceeded;
  }
  // Before the digest is kept: its stamp includes the mtime. A time that
  // cannot be set does not fail an upload whose bytes are verified.
  if (mtime_) (void)part_.set_mtime(*mtime_);
  // The digest cache may take a block of its own (an xattr too big for the
  // inode, on ext4): charged as the disk holds it, but never the reason an
  // upload that fits is refused.
  vfs::store_cached_digest(part_.fd(), algo_, actual);
  settle();
  errc e = errc::ok;
  {
    const auto changes = quota_->lock_changes();
    vfs::usage_change c;
    e = part_.commit(&c);
    quota_->apply(c);  // the replaced name and its charge go; the part's stay, as the target's
  }
  if (e != errc::ok) {
    abort(false);
    return e;
  }
  finish();
  return errc::ok;
}

void upload::abort(bool discard) {
  if (done_) return;
  if (discard) discard_part();
  dead_ = true;
  finish();
}

}  // namespace ferry::transfer
