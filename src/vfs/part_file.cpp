// Part-file operations over *at() calls.
#include "vfs/part_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "proto/limits.hpp"
#include "vfs/disk_meter.hpp"
#include "vfs/jail.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::vfs {

errc part_file::open(const jail& j, std::string_view path, part_file& out) {
  part_file p;
  // SECURITY: a name the client chose may never be a part file: it would
  // write into, or replace, another upload's part.
  if (has_part_component(path)) return errc::reserved_name;
  const int fd = j.open_parent(path, p.leaf_);
  if (fd < 0) return errc_from_errno(-fd);
  p.dir_ = unique_fd(fd);
  if (p.leaf_.empty()) return errc::is_directory;  // "/"
  p.part_leaf_ = part_name(p.leaf_);
  if (p.part_leaf_.size() > limits::max_name) return errc::name_too_long;
  out = std::move(p);
  return errc::ok;
}

bool part_file::exists() const {
  struct stat st {};
  return ::fstatat(dir_.get(), part_leaf_.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

errc part_file::create(usage_change* change) {
  dir_growth grown(dir_.get(), change);
  // SECURITY: O_NOFOLLOW, so a symlink planted under the part name cannot
  // redirect the writes.
  int fd = ::openat(dir_.get(), part_leaf_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  created_ = fd >= 0;
  if (fd < 0 && errno == EEXIST)
    fd = ::openat(dir_.get(), part_leaf_.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errc_from_errno(errno);
  part_ = unique_fd(fd);
  if (created_ && change != nullptr) {
    grown.done();
    change->added += usage{charge(), 1};
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errc_from_errno(errno);
  if (!S_ISREG(st.st_mode)) return errc::forbidden;
  return errc::ok;
}

errc part_file::lock_key(path_key& out) const {
  struct stat st {};
  if (::fstat(dir_.get(), &st) != 0) return errc_from_errno(errno);
  out = {static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino), leaf_};
  return errc::ok;
}

errc part_file::replaced(usage& out) const {
  out = {};
  struct stat st {};
  if (::fstatat(dir_.get(), leaf_.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? errc::ok : errc_from_errno(errno);
  if (S_ISDIR(st.st_mode)) return errc::is_directory;
  // Any name, hard links included: each is charged on its own.
  out = {charge_of(st), 1};
  return errc::ok;
}

std::uint64_t part_file::charge() const { return charge_of_fd(part_.get()); }

errc part_file::size(std::uint64_t& out) const {
  struct stat st {};
  if (::fstat(part_.get(), &st) != 0) return errc_from_errno(errno);
  out = static_cast<std::uint64_t>(st.st_size);
  return errc::ok;
}

errc part_file::truncate(std::uint64_t n) {
  if (::ftruncate(part_.get(), static_cast<off_t>(n)) != 0) return errc_from_errno(errno);
  return errc::ok;
}

errc part_file::write_at(const char* data, std::size_t n, std::uint64_t off, std::size_t& done) {
  done = 0;
  while (done < n) {
    const auto w = ::pwrite(part_.get(), data + done, n - done, static_cast<off_t>(off + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return errc_from_errno(errno);
    }
    done += static_cast<std::size_t>(w);
  }
  return errc::ok;
}

errc part_file::seed_from_target(std::uint64_t n) {
  unique_fd src(::openat(dir_.get(), leaf_.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat st {};
  if (!src || ::fstat(src.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<std::uint64_t>(st.st_size) < n)
    return errc::offset_beyond_end;  // nothing to continue from
  if (auto e = truncate(0); e != errc::ok) return e;
  loff_t in = 0, out = 0;
  std::uint64_t left = n;
  while (left > 0) {
    const auto r = ::copy_file_range(src.get(), &in, part_.get(), &out, static_cast<std::size_t>(left), 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r == 0 ? errc::offset_beyond_end : errc_from_errno(errno);
    left -= static_cast<std::uint64_t>(r);
  }
  return errc::ok;
}

errc part_file::set_mtime(std::int64_t unix_seconds) {
  const struct timespec times[2] = {{0, UTIME_OMIT}, {static_cast<time_t>(unix_seconds), 0}};
  return ::futimens(part_.get(), times) == 0 ? errc::ok : errc_from_errno(errno);
}

errc part_file::commit(usage_change* change) {
  usage gone;
  if (change != nullptr && replaced(gone) != errc::ok) gone = {};
  dir_growth shrunk(dir_.get(), change);
  if (::renameat(dir_.get(), part_leaf_.c_str(), dir_.get(), leaf_.c_str()) != 0) return errc_from_errno(errno);
  shrunk.done();
  if (change != nullptr) change->removed += gone;
  return errc::ok;
}

void part_file::discard(usage_change* change) {
  usage gone{0, 1};
  if (!charge_at(dir_.get(), part_leaf_.c_str(), gone.bytes)) return;  // already gone
  dir_growth shrunk(dir_.get(), change);
  // Only what really left the disk is given back.
  if (::unlinkat(dir_.get(), part_leaf_.c_str(), 0) != 0) return;
  shrunk.done();
  if (change != nullptr) change->removed += gone;
}

errc discard_part(const jail& j, path_locks& locks, std::string_view path, usage_change* change) {
  part_file p;
  if (auto e = part_file::open(j, path, p); e != errc::ok) return e;
  if (!p.exists()) return errc::not_found;
  path_key key;
  if (auto e = p.lock_key(key); e != errc::ok) return e;
  // SECURITY: a live upload's part is never pulled from under it (its
  // charge would also be given back twice).
  const auto held = locks.try_lock(std::move(key));
  if (!held) return errc::busy;
  p.discard(change);
  return errc::ok;
}

errc part_targets(const jail& j, std::string_view dir, std::vector<std::string>& out) {
  out.clear();
  const int fd = j.open_at(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errc_from_errno(-fd);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    ::close(fd);
    return errc_from_errno(errno);
  }
  constexpr std::string_view suffix = ".ferry-part";
  errc result = errc::ok;
  while (const dirent* de = ::readdir(d)) {
    const std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    if (!is_part_file(name) || name.size() <= 1 + suffix.size()) {
      result = errc::not_empty;
      break;
    }
    std::string target(name.substr(1, name.size() - 1 - suffix.size()));
    if (part_name(target) != name) {  // a shortened name: its target is unknown
      result = errc::not_empty;
      break;
    }
    out.push_back(std::move(target));
  }
  ::closedir(d);
  if (result != errc::ok) out.clear();
  return result;
}

errc part_size(const jail& j, std::string_view path, std::uint64_t& out) {
  std::string leaf;
  unique_fd dir(j.open_parent(path, leaf));
  if (dir.get() < 0) return errc_from_errno(-dir.release());
  if (leaf.empty() || is_part_file(leaf)) return errc::not_found;
  struct stat st {};
  if (::fstatat(dir.get(), part_name(leaf).c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errc_from_errno(errno);
  if (!S_ISREG(st.st_mode)) return errc::not_found;
  out = static_cast<std::uint64_t>(st.st_size);
  return errc::ok;
}

}  // namespace ferry::vfs
