#include "client/history_file.hpp"

#include <editline/readline.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ferry::client {
namespace {

/// Only the end of a huge file is read.
constexpr off_t max_read = 1 << 20;

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

/// Opens `path` without following a symlink or blocking on a FIFO; -1 unless
/// it is a regular file.
int open_regular(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Replaces the file by `lines` (a new file renamed over it).
void rewrite(const std::string& path, const std::vector<std::string>& lines) {
  const std::string tmp = path + ".new." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string text;
  for (const auto& l : lines) text += l + '\n';
  const bool ok = write_all(fd, text);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace

std::string history_path(const char* xdg_state_home, const char* home) {
  if (absolute(xdg_state_home)) return std::string(xdg_state_home) + "/ferry/history";
  if (absolute(home)) return std::string(home) + "/.local/state/ferry/history";
  return {};
}

std::vector<std::string> last_history_lines(std::string_view text, std::size_t keep) {
  std::vector<std::string> out;
  while (!text.empty() && out.size() < keep) {
    if (text.back() == '\n') text.remove_suffix(1);
    const auto nl = text.rfind('\n');
    const std::string_view line = nl == std::string_view::npos ? text : text.substr(nl + 1);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(0, nl + 1);
    if (!line.empty() && line.find_first_not_of(" \t\r") != std::string_view::npos)
      out.emplace_back(line);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void load_history(const std::string& path) {
  if (path.empty()) return;
  const int fd = open_regular(path, O_RDONLY);
  if (fd < 0) return;
  struct stat st {};
  ::fstat(fd, &st);
  const off_t from = std::max<off_t>(0, st.st_size - max_read);
  std::string text(static_cast<std::size_t>(st.st_size - from), '\0');
  const ssize_t n = ::pread(fd, text.data(), text.size(), from);
  ::close(fd);
  if (n <= 0) return;
  text.resize(static_cast<std::size_t>(n));
  if (from > 0) text.erase(0, text.find('\n') == std::string::npos ? text.size() : text.find('\n') + 1);
  const std::vector<std::string> lines = last_history_lines(text, history_lines);
  for (const auto& l : lines) add_history(l.c_str());
  // Compacted now and then, not at every start: rewriting races other shells.
  if (st.st_size > static_cast<off_t>(history_lines) * 512 ||
      std::count(text.begin(), text.end(), '\n') > static_cast<long>(2 * history_lines))
    rewrite(path, lines);
}

bool append_history_line(const std::string& path, std::string_view line) {
  if (path.empty()) return false;
  if (!make_dirs(path.substr(0, path.rfind('/')))) return false;
  const int fd = open_regular(path, O_WRONLY | O_APPEND | O_CREAT);
  if (fd < 0) return false;
  ::fchmod(fd, 0600);  // it names private files
  std::string text(line);
  text += '\n';
  const bool ok = write_all(fd, text);  // one write: lines of shells at once do not mix
  ::close(fd);
  return ok;
}

}  // namespace ferry::client
