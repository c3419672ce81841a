// Questions and notices on /dev/tty.
#include "term/tty_question.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace ferry::term {
namespace {

/// Upper bound on an answer: the question is "yes/no".
constexpr std::size_t max_answer_bytes = 4096;

int open_tty() { return ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY); }

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::optional<std::string> ask_on_tty(const std::string& question) {
  const int fd = open_tty();
  if (fd < 0) return std::nullopt;
  write_all(fd, question);
  std::string line;
  for (;;) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // EOF or error: no answer
      write_all(fd, "\n");
      line.clear();
      break;
    }
    if (c == '\n') break;
    if (line.size() < max_answer_bytes) line.push_back(c);
  }
  ::close(fd);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

bool tell_on_tty(const std::string& text) {
  const int fd = open_tty();
  if (fd < 0) return false;
  write_all(fd, text);
  ::close(fd);
  return true;
}

}  // namespace ferry::term
