// Upload state machine over the jail's *at() calls.
#include "transfer/upload.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "proto/limits.hpp"
#include "transfer/digest_cache.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"

namespace ferry::transfer {

std::string part_name(std::string_view leaf) {
  return "." + std::string(leaf) + ".ferry-part";
}

errc upload::begin(const vfs::jail& jail, vfs::quota_ledger& quota, vfs::path_locks& locks,
                   const upload_request& req, std::unique_ptr<upload>& out) {
  if (!known_algo(req.algo)) return errc::bad_request;
  std::unique_ptr<upload> u(new upload());
  u->path_ = req.path;
  u->size_ = req.size;
  u->algo_ = req.algo;
  u->quota_ = &quota;

  int fd = jail.open_parent(req.path, u->leaf_);
  if (fd < 0) return errc_from_errno(-fd);
  u->dir_ = vfs::unique_fd(fd);
  if (u->leaf_.empty()) return errc::is_directory;  // "/"
  u->part_leaf_ = part_name(u->leaf_);
  if (u->part_leaf_.size() > limits::max_name) return errc::bad_request;

  struct stat dst {};
  if (::fstat(u->dir_.get(), &dst) != 0) return errc_from_errno(errno);
  u->lock_ = locks.try_lock({static_cast<std::uint64_t>(dst.st_dev),
                             static_cast<std::uint64_t>(dst.st_ino), u->leaf_});
  if (!u->lock_) return errc::busy;

  struct stat tst {};
  if (::fstatat(u->dir_.get(), u->leaf_.c_str(), &tst, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(tst.st_mode)) return errc::is_directory;
    if (S_ISREG(tst.st_mode) && tst.st_nlink == 1) u->replaced_ = static_cast<std::uint64_t>(tst.st_size);
  } else if (errno != ENOENT) {
    return errc_from_errno(errno);
  }

  // O_NOFOLLOW: a symlink planted under the part name must not redirect writes.
  fd = ::openat(u->dir_.get(), u->part_leaf_.c_str(),
                O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return errc_from_errno(errno);
  u->part_ = vfs::unique_fd(fd);
  struct stat pst {};
  if (::fstat(fd, &pst) != 0) return errc_from_errno(errno);
  if (!S_ISREG(pst.st_mode)) return errc::forbidden;
  auto have = static_cast<std::uint64_t>(pst.st_size);

  if (req.resume && req.seed_from_target && req.offset && *req.offset > have) {
    if (auto e = u->seed(quota, *req.offset, have); e != errc::ok) return e;
    have = *req.offset;
  }
  std::uint64_t start = 0;
  if (req.resume) start = req.offset.value_or(have);
  if (start > have || (req.size && start > *req.size)) start = 0;
  if (start < have) {
    if (::ftruncate(fd, static_cast<off_t>(start)) != 0) return errc_from_errno(errno);
    quota.freed(have - start);
  }
  u->offset_ = start;

  // The digest covers the whole file, so a resumed upload hashes the kept
  // prefix once (from the page cache, usually): see hash_prefix().
  u->digest_ = digest::make(req.algo);

  if (req.size) {
    const std::uint64_t need = *req.size - start;
    if (!quota.reserve(need, u->replaced_)) {
      if (have == 0) ::unlinkat(u->dir_.get(), u->part_leaf_.c_str(), 0);  // leave no litter
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
  vfs::unique_fd src(::openat(dir_.get(), leaf_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!src || ::fstat(src.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) < n)
    return errc::bad_request;  // nothing to continue from
  if (!quota.grow(n - std::min(n, have), replaced_)) return errc::quota_exceeded;
  if (::ftruncate(part_.get(), 0) != 0) return errc_from_errno(errno);
  loff_t in = 0, out = 0;
  std::uint64_t left = n;
  while (left > 0) {
    const auto r = ::copy_file_range(src.get(), &in, part_.get(), &out, static_cast<std::size_t>(left), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r == 0 ? errc::bad_request : errc_from_errno(errno);
    left -= static_cast<std::uint64_t>(r);
  }
  return errc::ok;
}

bool upload::hash_prefix(std::uint64_t max) {
  const auto n = std::min(max, prefix_left());
  if (n == 0) return true;
  if (!digest_fd_slice(part_.get(), hashed_, n, *digest_)) return false;
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
    return errc::bad_request;
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
  while (done < n) {
    const auto w = ::pwrite(part_.get(), data + done, n - done,
                            static_cast<off_t>(offset_ + written_ + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      if (size_) quota_->wrote(done);
      written_ += done;
      dead_ = true;
      return errc_from_errno(e);
    }
    done += static_cast<std::size_t>(w);
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
  if (size_ && offset_ + written_ != *size_) return errc::bad_request;
  if (prefix_left() > 0 && !hash_prefix(prefix_left())) return errc::internal;
  actual = digest_->hex();
  if (expected && *expected != actual) {
    abort(true);
    return errc::checksum_mismatch;
  }
  struct stat pst {};
  if (::fstat(part_.get(), &pst) == 0) store_cached_digest(part_.get(), algo_, pst, actual);
  // Re-measure what is replaced now: it may have changed since begin().
  struct stat tst {};
  std::uint64_t replaced = 0;
  if (::fstatat(dir_.get(), leaf_.c_str(), &tst, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISDIR(tst.st_mode)) {
      abort(false);
      return errc::is_directory;
    }
    if (S_ISREG(tst.st_mode) && tst.st_nlink == 1) replaced = static_cast<std::uint64_t>(tst.st_size);
  }
  if (::renameat(dir_.get(), part_leaf_.c_str(), dir_.get(), leaf_.c_str()) != 0) {
    const int e = errno;
    abort(false);
    return errc_from_errno(e);
  }
  quota_->freed(replaced);
  finish();
  return errc::ok;
}

void upload::abort(bool discard) {
  if (done_) return;
  if (discard) {
    struct stat pst {};
    if (::fstat(part_.get(), &pst) == 0) quota_->freed(static_cast<std::uint64_t>(pst.st_size));
    ::unlinkat(dir_.get(), part_leaf_.c_str(), 0);
  }
  dead_ = true;
  finish();
}

}  // namespace ferry::transfer
