// Local working directory and listings for lcd / lls / lpwd.
#include "client/local_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace ferry::client::local_fs {
namespace {

failure os_failure(int err) { return refused(std::strerror(err)); }

std::string link_target(int dir_fd, const std::string& name) {
  std::array<char, 4096> buf;
  const ssize_t n = ::readlinkat(dir_fd, name.c_str(), buf.data(), buf.size());
  if (n <= 0 || static_cast<std::size_t>(n) >= buf.size()) return {};
  return std::string(buf.data(), static_cast<std::size_t>(n));
}

file_entry from_stat(std::string name, const struct stat& st) {
  file_entry e;
  e.name = std::move(name);
  if (S_ISDIR(st.st_mode)) {
    e.type = entry_type::dir;
  } else if (S_ISREG(st.st_mode)) {
    e.type = entry_type::file;
  } else if (S_ISLNK(st.st_mode)) {
    e.type = entry_type::link;
  }
  e.size = static_cast<std::uint64_t>(st.st_size);
  e.mtime = static_cast<std::int64_t>(st.st_mtime);
  e.mode = static_cast<std::uint32_t>(st.st_mode & 07777);
  return e;
}

std::string home_dir() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
    return pw->pw_dir;
  return "/";
}

}  // namespace

result<std::string> current_dir() {
  std::string buf(256, '\0');
  for (;;) {
    if (::getcwd(buf.data(), buf.size()) != nullptr) {
      buf.resize(std::strlen(buf.c_str()));
      return buf;
    }
    if (errno != ERANGE) return os_failure(errno);
    buf.resize(buf.size() * 2);
  }
}

result<> change_dir(const std::string& dir) {
  const std::string target = dir.empty() ? home_dir() : dir;
  if (::chdir(target.c_str()) != 0) return os_failure(errno);
  return {};
}

result<std::vector<file_entry>> list(const std::string& dir) {
  const std::string path = dir.empty() ? "." : dir;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return os_failure(errno);
  if (!S_ISDIR(st.st_mode)) {
    // Follow a symlink to a directory, as ls does for a named argument.
    struct stat target {};
    if (!S_ISLNK(st.st_mode) || ::stat(path.c_str(), &target) != 0 || !S_ISDIR(target.st_mode))
      return std::vector<file_entry>{from_stat(path, st)};
  }
  const std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(path.c_str()), &::closedir);
  if (!d) return os_failure(errno);
  const int dfd = ::dirfd(d.get());
  std::vector<file_entry> out;
  errno = 0;
  while (const dirent* de = ::readdir(d.get())) {
    const std::string name = de->d_name;
    if (name == "." || name == "..") continue;
    struct stat est {};
    if (::fstatat(dfd, name.c_str(), &est, AT_SYMLINK_NOFOLLOW) != 0) {
      file_entry e;  // vanished or unreadable: still list the name
      e.name = name;
      out.push_back(std::move(e));
    } else {
      out.push_back(from_stat(name, est));
      if (S_ISLNK(est.st_mode)) out.back().target = link_target(dfd, name);
    }
    errno = 0;
  }
  if (errno != 0) return os_failure(errno);
  std::sort(out.begin(), out.end(),
            [](const file_entry& a, const file_entry& b) { return a.name < b.name; });
  return out;
}

}  // namespace ferry::client::local_fs
