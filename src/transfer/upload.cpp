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
  u->quota_ = &quota;

  if (auto e = vfs::part_file::open(jail, req.path, u->part_); e != errc::ok) return e;
  vfs::path_key key;
  if (auto e = u->part_.lock_key(key); e != errc::ok) return e;
  u->lock_ = locks.try_lock(std::move(key));
  if (!u->lock_) return errc::busy;
  if (auto e = u->part_.replaced_size(u->replaced_); e != errc::ok) return e;
  if (u->part_.target_exists()) u->replaced_ += vfs::entry_charge;  // its name goes at commit
  if (auto e = u->part_.create(); e != errc::ok) return e;
  // A new part file is a new name: charged at once (an existing one, from an
  // earlier upload, already is).
  if (u->part_.created() && !quota.grow(vfs::entry_charge, u->replaced_)) {
    u->part_.discard();
    return errc::quota_exceeded;
  }
  std::uint64_t have = 0;
  if (auto e = u->part_.size(have); e != errc::ok) return e;

  if (req.resume && req.seed_from_target && req.offset && (*req.offset > have || req.seed_always)) {
    if (auto e = u->seed(quota, *req.offset, have); e != errc::ok) {
      // REST n + STOR of a missing file: leave no empty part behind.
      if (have == 0) quota.freed(u->part_.discard());
      return e;
    }
    have = *req.offset;
  }
  std::uint64_t start = 0;
  if (req.resume) start = req.offset.value_or(have);
  if (start > have || (req.size && start > *req.size)) start = 0;
  if (start < have) {
    if (auto e = u->part_.truncate(start); e != errc::ok) return e;
    quota.freed(have - start);
  }
  u->offset_ = start;

  // The digest covers the whole file, so a resumed upload hashes the kept
  // prefix once (from the page cache, usually): see hash_prefix().
  u->digest_ = digest::make(req.algo);

  if (req.size) {
    const std::uint64_t need = *req.size - start;
    if (!quota.reserve(need, u->replaced_)) {
      if (have == 0) quota.freed(u->part_.discard());  // leave no litter
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

void upload::finish() {
  if (done_ || !active_) return;
  done_ = true;
  quota_->release(reserved_);
  reserved_ = 0;
  quota_->close_upload();
  lock_.reset();
}

errc upload::seed(vfs::quota_ledger& quota, std::uint64_t n, std::uint64_t have) {
  // The copied prefix sits on disk beside the target until the commit: no
  // discount for the target it may replace.
  if (!quota.grow(n - std::min(n, have), 0)) return errc::quota_exceeded;
  const auto e = part_.seed_from_target(n);
  // The ledger now counts max(n, have) bytes for the part: a seed that
  // failed, or replaced a longer stale part, leaves fewer.
  const auto counted = std::max(n, have);
  std::uint64_t now = counted;
  if (part_.size(now) == errc::ok && now < counted) quota.freed(counted - now);
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
    if (!quota_->within(replaced_)) {
      dead_ = true;
      return errc::quota_exceeded;
    }
  } else if (!quota_->grow(n, replaced_)) {
    dead_ = true;
    return errc::quota_exceeded;
  }
  std::size_t done = 0;
  if (auto e = part_.write_at(data, n, offset_ + written_, done); e != errc::ok) {
    // Only what reached the disk counts (grow() above counted all of it).
    if (size_) quota_->wrote(done);
    else quota_->freed(n - done);
    written_ += done;
    dead_ = true;
    // A full disk is full for everyone: a part this upload started is
    // dropped at once. One that holds an earlier upload's bytes (a resume,
    // REST, APPE) is kept, so that work is not lost.
    if (e == errc::insufficient_storage && offset_ == 0) abort(true);
    return e;
  }
  if (size_) {
    quota_->wrote(n);
    reserved_ -= n;
  }
  digest_->update(data, n);
  written_ += n;
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
  vfs::store_cached_digest(part_.fd(), algo_, actual);
  // Re-measure what is replaced now: it may have changed since begin().
  std::uint64_t replaced = 0;
  if (part_.replaced_size(replaced) == errc::is_directory) {
    abort(false);
    return errc::is_directory;
  }
  if (part_.target_exists()) replaced += vfs::entry_charge;
  // The reservation counted the file this upload replaces as going away. If
  // it moved or shrank meanwhile (mv X Z during the put of X), committing
  // would keep both: the user must still be within the limit without it.
  if (!quota_->within(replaced)) {
    abort(true);
    return errc::quota_exceeded;
  }
  if (auto e = part_.commit(); e != errc::ok) {
    abort(false);
    return e;
  }
  quota_->freed(replaced);
  finish();
  return errc::ok;
}

void upload::abort(bool discard) {
  if (done_) return;
  if (discard) quota_->freed(part_.discard());
  dead_ = true;
  finish();
}

}  // namespace ferry::transfer
