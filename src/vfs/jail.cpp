// openat2-based jail operations. The kernel edge for user files lives here.
#include "vfs/jail.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>

#include "vfs/dir_listing.hpp"
#include "vfs/disk_meter.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::vfs {

dir_entry make_entry(std::string name, const struct stat& st) {
  dir_entry e;
  e.name = std::move(name);
  if (S_ISREG(st.st_mode)) e.type = file_type::file;
  else if (S_ISDIR(st.st_mode)) e.type = file_type::dir;
  else if (S_ISLNK(st.st_mode)) e.type = file_type::link;
  else e.type = file_type::other;
  e.size = static_cast<std::uint64_t>(st.st_size);
  e.mtime = st.st_mtim.tv_sec;
  e.mode = st.st_mode & 07777;
  char unique[48];
  std::snprintf(unique, sizeof unique, "%llxg%llx", static_cast<unsigned long long>(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  e.unique = unique;
  return e;
}

namespace {

void usage_of(int dirfd, int depth, usage& total) {
  // Bounded depth keeps the number of open fds bounded.
  if (depth > 128) return;
  // A fresh open, not dup(): a dup shares the directory offset with `dirfd`,
  // so reading it to the end would leave the home fd's offset at the end.
  unique_fd dup(::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dup) return;
  DIR* d = ::fdopendir(dup.get());
  if (!d) return;
  dup.release();
  while (auto* de = ::readdir(d)) {
    std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(::dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    total += usage{charge_of(st), 1};
    if (S_ISDIR(st.st_mode)) {
      unique_fd sub(::openat(::dirfd(d), de->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) usage_of(sub.get(), depth + 1, total);
    }
  }
  ::closedir(d);
}

/// SECURITY: the reserved-name rule, once for every path-taking operation of
/// both protocols: a part file (".NAME.ferry-part") is an upload's private
/// state, so no user operation may create, open, stat, move or delete one,
/// nor reach through a directory so named. Only vfs::part_file acts on them.
bool reserved(std::string_view path) { return has_part_component(path); }

}  // namespace

std::string_view to_string(file_type t) noexcept {
  switch (t) {
    case file_type::file: return "file";
    case file_type::dir: return "dir";
    case file_type::link: return "link";
    case file_type::other: return "other";
  }
  return "other";
}

std::optional<jail> jail::open(const std::filesystem::path& home, int& err) {
  // SECURITY: O_NOFOLLOW so a home that was swapped for a symlink is refused.
  int fd = ::open(home.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    err = errno;
    return std::nullopt;
  }
  return jail(unique_fd(fd), home);
}

bool jail::home_alive() const {
  struct stat now {}, there {};
  if (::fstat(root_.get(), &now) != 0 || now.st_nlink == 0) return false;  // removed
  if (::lstat(home_.c_str(), &there) != 0) return false;                   // moved away
  return there.st_dev == now.st_dev && there.st_ino == now.st_ino;         // not replaced
}

int jail::open_at(std::string_view path, int flags, unsigned mode) const {
  if (reserved(path)) return -ENOENT;  // as if it were not there (listings hide it too)
  if (!home_alive()) return -ESTALE;
  const std::string rel = relative(path);
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) ? mode : 0;
  // SECURITY: the whole jail rests on these two flags.
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  // EAGAIN: a rename raced the resolution (worth a few tries), or, with
  // O_NONBLOCK, a lease being broken (worth none: it lasts up to 45 s, and
  // spinning here would hold a worker at 100% of a core).
  long fd = -1;
  for (int tries = 0; tries < 8; ++tries) {
    fd = ::syscall(SYS_openat2, root_.get(), rel.c_str(), &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN || (flags & O_NONBLOCK) != 0) break;
  }
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int jail::open_parent(std::string_view path, std::string& leaf) const {
  auto [parent, name] = split(path);
  leaf = std::move(name);
  return open_at(parent, O_PATH | O_DIRECTORY);
}

errc jail::check_dir(std::string_view path) const {
  int fd = open_at(path, O_PATH | O_DIRECTORY);
  if (fd < 0) return errc_from_errno(-fd);
  ::close(fd);
  return errc::ok;
}

void read_link_target(int dir_fd, std::string_view dir, dir_entry& e) {
  if (e.type != file_type::link) return;
  std::array<char, 4096> buf;
  const ssize_t n = ::readlinkat(dir_fd, e.name.c_str(), buf.data(), buf.size());
  std::optional<std::string> shown;
  if (n > 0 && static_cast<std::size_t>(n) < buf.size())
    shown = shown_link_target(dir, std::string_view(buf.data(), static_cast<std::size_t>(n)));
  if (shown) {
    e.target = std::move(*shown);
  } else {
    e.size = 0;  // SECURITY: the length of a hidden target tells about it
  }
}

errc jail::stat(std::string_view path, dir_entry& out) const {
  if (reserved(path)) return errc::reserved_name;
  std::string leaf;
  unique_fd parent(open_parent(path, leaf));
  if (parent.get() < 0) return errc_from_errno(-parent.release());
  struct stat st {};
  const int rc = leaf.empty() ? ::fstat(parent.get(), &st)
                              : ::fstatat(parent.get(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return errc_from_errno(errno);
  out = make_entry(leaf.empty() ? "/" : leaf, st);
  if (!leaf.empty()) read_link_target(parent.get(), split(path).parent, out);
  return errc::ok;
}

errc jail::list(std::string_view path, std::vector<dir_entry>& out) const {
  out.clear();
  dir_listing l;
  if (auto ec = open_listing(path, l); ec != errc::ok) return ec;
  out = l.next(l.count());
  return errc::ok;
}

errc jail::open_listing(std::string_view path, dir_listing& out) const {
  if (reserved(path)) return errc::reserved_name;
  const int fd = open_at(path, O_RDONLY | O_DIRECTORY);
  if (fd == -ENOTDIR) {
    dir_entry e;
    if (auto ec = stat(path, e); ec != errc::ok) return ec;
    out.set_single(std::move(e));
    return errc::ok;
  }
  if (fd < 0) return errc_from_errno(-fd);
  out.dir_path_ = path;
  return out.read(unique_fd(fd));
}

errc jail::make_dir(std::string_view path, bool parents, usage_change* change) const {
  if (path == "/") return parents ? errc::ok : errc::exists;
  if (parents) {
    // Create each prefix in turn; each step resolves from the root again, so a
    // symlinked component still cannot lead outside.
    std::size_t pos = 1;
    while (pos <= path.size()) {
      std::size_t next = path.find('/', pos);
      if (next == std::string_view::npos) next = path.size();
      const std::string_view prefix = path.substr(0, next);
      const auto made = make_dir(prefix, false, change);
      if (made != errc::ok && made != errc::exists) return made;
      if (auto ec = check_dir(prefix); ec != errc::ok) return ec;
      pos = next + 1;
    }
    return errc::ok;
  }
  if (reserved(path)) return errc::reserved_name;
  std::string leaf;
  unique_fd parent(open_parent(path, leaf));
  if (parent.get() < 0) return errc_from_errno(-parent.release());
  dir_growth grown(parent.get(), change);
  if (::mkdirat(parent.get(), leaf.c_str(), 0777) != 0) return errc_from_errno(errno);
  grown.done();
  if (change != nullptr) {
    std::uint64_t c = charge_unit;
    charge_at(parent.get(), leaf.c_str(), c);
    change->added += usage{c, 1};
  }
  return errc::ok;
}

unsigned jail::missing_dirs(std::string_view path) const {
  // Components after the root, then the first prefix that is not there.
  unsigned total = 0, present = 0;
  bool gap = false;
  std::size_t pos = 1;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    if (next > pos) {
      ++total;
      if (!gap) {
        const int fd = open_at(path.substr(0, next), O_PATH);
        if (fd == -ENOENT) gap = true;
        else ++present;
        if (fd >= 0) ::close(fd);
      }
    }
    pos = next + 1;
  }
  return total - present;
}

errc jail::remove_dir(std::string_view path, usage_change* change) const {
  if (path == "/") return errc::forbidden;
  if (reserved(path)) return errc::reserved_name;
  std::string leaf;
  unique_fd parent(open_parent(path, leaf));
  if (parent.get() < 0) return errc_from_errno(-parent.release());
  std::uint64_t c = 0;
  const bool measured = change != nullptr && charge_at(parent.get(), leaf.c_str(), c);
  dir_growth shrunk(parent.get(), change);
  if (::unlinkat(parent.get(), leaf.c_str(), AT_REMOVEDIR) != 0) {
    const int e = errno;
    return e == EEXIST ? errc::not_empty : errc_from_errno(e);
  }
  shrunk.done();
  if (measured) change->removed += usage{c, 1};
  return errc::ok;
}

errc jail::remove_file(std::string_view path, usage_change* change) const {
  if (path == "/") return errc::is_directory;
  // Deleting a live upload's part file would also free its charge twice in
  // the quota ledger; abandoned ones go through vfs::discard_part, which
  // checks the upload lock first.
  if (reserved(path)) return errc::reserved_name;
  std::string leaf;
  unique_fd parent(open_parent(path, leaf));
  if (parent.get() < 0) return errc_from_errno(-parent.release());
  // Every name is charged on its own (disk_charge.hpp), so removing one of
  // several hard links gives back its whole charge too.
  std::uint64_t c = 0;
  const bool measured = change != nullptr && charge_at(parent.get(), leaf.c_str(), c);
  dir_growth shrunk(parent.get(), change);
  if (::unlinkat(parent.get(), leaf.c_str(), 0) != 0) return errc_from_errno(errno);
  shrunk.done();
  if (measured) change->removed += usage{c, 1};
  return errc::ok;
}

errc jail::rename(std::string_view from, std::string_view to, usage_change* change) const {
  if (from == "/") return errc::forbidden;
  if (reserved(from) || reserved(to)) return errc::reserved_name;
  std::string target(to);
  if (check_dir(to) == errc::ok) target = join(to, split(from).leaf);
  if (target == from) return errc::ok;
  std::string from_leaf, to_leaf;
  unique_fd from_dir(open_parent(from, from_leaf));
  if (from_dir.get() < 0) return errc_from_errno(-from_dir.release());
  unique_fd to_dir(open_parent(target, to_leaf));
  if (to_dir.get() < 0) return errc_from_errno(-to_dir.release());
  // The name moves, its charge with it; the two directories may grow or
  // shrink (measured once when they are one).
  dir_growth from_growth(from_dir.get(), change);
  dir_growth to_growth(same_inode(from_dir.get(), to_dir.get()) ? -1 : to_dir.get(), change);
  if (::renameat2(from_dir.get(), from_leaf.c_str(), to_dir.get(), to_leaf.c_str(),
                  RENAME_NOREPLACE) != 0)
    return errno == EINVAL ? errc::move_into_itself : errc_from_errno(errno);
  from_growth.done();
  to_growth.done();
  return errc::ok;
}

usage jail::disk_usage() const {
  usage total;
  // The home's own first block is not the user's doing; what it grows past
  // that, as names are added, is (disk_charge.hpp).
  total.bytes = std::max(charge_of_fd(root_.get()), charge_unit) - charge_unit;
  usage_of(root_.get(), 0, total);
  return total;
}

}  // namespace ferry::vfs
