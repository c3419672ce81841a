#include "client/history_file.hpp"

#include <editline/readline.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace ferry::client {
namespace {

bool absolute(const char* dir) { return dir != nullptr && dir[0] == '/'; }

/// mkdir -p with mode 0700 for what it creates.
bool make_dirs(const std::string& dir) {
  for (std::size_t at = 1; at <= dir.size(); ++at) {
    if (at != dir.size() && dir[at] != '/') continue;
    const std::string part = dir.substr(0, at);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) return false;
  }
  return true;
}

}  // namespace

std::string history_path(const char* xdg_state_home, const char* home) {
  if (absolute(xdg_state_home)) return std::string(xdg_state_home) + "/ferry/history";
  if (absolute(home)) return std::string(home) + "/.local/state/ferry/history";
  return {};
}

void load_history(const std::string& path) {
  if (!path.empty()) read_history(path.c_str());
}

bool save_history(const std::string& path) {
  if (path.empty()) return false;
  if (!make_dirs(path.substr(0, path.rfind('/')))) return false;
  // Created private before libedit opens it: the commands name private files.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return false;
  ::fchmod(fd, 0600);
  ::close(fd);
  return write_history(path.c_str()) == 0;
}

}  // namespace ferry::client
