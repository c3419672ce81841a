#include "vfs/dir_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <limits>

#include "vfs/virtual_path.hpp"

namespace ferry::vfs {

errc dir_listing::read(unique_fd dir) {
  // fdopendir takes the fd; keep our own for the fstatat calls of later batches.
  const int scan_fd = ::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0);
  if (scan_fd < 0) return errc_from_errno(errno);
  DIR* d = ::fdopendir(scan_fd);
  if (d == nullptr) {
    const int e = errno;
    ::close(scan_fd);
    return errc_from_errno(e);
  }
  names_.clear();
  offsets_.clear();
  while (auto* de = ::readdir(d)) {
    const std::string_view n = de->d_name;
    if (n == "." || n == ".." || is_part_file(n)) continue;
    if (names_.size() + n.size() + 1 > std::numeric_limits<std::uint32_t>::max()) break;
    offsets_.push_back(static_cast<std::uint32_t>(names_.size()));
    names_.append(n);
    names_.push_back('\0');
  }
  ::closedir(d);
  std::sort(offsets_.begin(), offsets_.end(),
            [this](std::uint32_t a, std::uint32_t b) { return name_at(a) < name_at(b); });
  dir_ = std::move(dir);
  pos_ = 0;
  single_ = false;
  return errc::ok;
}

void dir_listing::set_single(dir_entry e) {
  single_ = true;
  single_entry_ = std::move(e);
  pos_ = 0;
}

std::string_view dir_listing::name_at(std::uint32_t offset) const noexcept {
  return std::string_view(names_.data() + offset);
}

std::vector<dir_entry> dir_listing::next(std::size_t max) {
  std::vector<dir_entry> out;
  if (single_) {
    if (pos_ == 0 && max > 0) {
      out.push_back(single_entry_);
      pos_ = 1;
    }
    return out;
  }
  while (pos_ < offsets_.size() && out.size() < max) {
    const char* n = names_.data() + offsets_[pos_++];
    struct stat st {};
    if (::fstatat(dir_.get(), n, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone since
    out.push_back(make_entry(n, st));
    read_link_target(dir_.get(), dir_path_, out.back());
  }
  return out;
}

}  // namespace ferry::vfs
