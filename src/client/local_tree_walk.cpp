// The local half of tree_walk.hpp: depth-first over directory fds, so a
// directory swapped for a symlink mid-walk is not followed (O_NOFOLLOW).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "client/transfer_paths.hpp"
#include "client/tree_walk.hpp"

namespace ferry::client {
namespace {

constexpr int max_depth = 256;

struct child {
  std::string name;
  unsigned char type;
};

void walk_dir(int dfd, const std::string& rel, int depth, tree_listing& out) {
  DIR* d = ::fdopendir(dfd);
  if (d == nullptr) {
    out.errors.push_back({rel, std::strerror(errno)});
    ::close(dfd);
    return;
  }
  std::vector<child> children;
  errno = 0;
  while (const dirent* de = ::readdir(d)) {
    const std::string_view name = de->d_name;
    if (name == "." || name == "..") continue;
    children.push_back({std::string(name), de->d_type});
    errno = 0;
  }
  if (errno != 0) out.errors.push_back({rel, std::strerror(errno)});
  std::sort(children.begin(), children.end(),
            [](const child& a, const child& b) { return a.name < b.name; });
  for (child& c : children) {
    const std::string path = rel.empty() ? c.name : join_path(rel, c.name);
    unsigned char type = c.type;
    struct stat st {};
    if (type == DT_UNKNOWN) {
      if (::fstatat(::dirfd(d), c.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        out.errors.push_back({path, std::strerror(errno)});
        continue;
      }
      type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG
             : S_ISLNK(st.st_mode)                              ? DT_LNK
                                                                : DT_FIFO;
    }
    if (type == DT_REG) {
      // The size lets a copy skip files the other side already has.
      if (c.type != DT_UNKNOWN && ::fstatat(::dirfd(d), c.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        out.errors.push_back({path, std::strerror(errno)});
        continue;
      }
      out.entries.push_back({path, false, static_cast<std::uint64_t>(st.st_size)});
    } else if (type == DT_DIR) {
      if (depth >= max_depth) {
        out.errors.push_back({path, "directory tree too deep"});
        continue;
      }
      const int sub = ::openat(::dirfd(d), c.name.c_str(),
                               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0) {
        out.errors.push_back({path, std::strerror(errno)});
        continue;
      }
      out.entries.push_back({path, true, 0});
      walk_dir(sub, path, depth + 1, out);
    } else {
      out.skipped.push_back({path, type == DT_LNK ? "symbolic link" : "special file"});
    }
  }
  ::closedir(d);
}

}  // namespace

result<tree_listing> walk_local(const std::string& root) {
  const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return refused(std::strerror(errno));
  tree_listing out;
  walk_dir(fd, std::string(), 0, out);
  return out;
}

}  // namespace ferry::client
