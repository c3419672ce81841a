// Password sources: stdin line, environment, or a no-echo terminal prompt
// that always restores the terminal, even when interrupted.
#include "term/password_prompt.hpp"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ferry::term {
namespace {

volatile sig_atomic_t g_caught_signal = 0;

extern "C" void remember_signal(int sig) { g_caught_signal = sig; }

constexpr std::array<int, 6> prompt_signals{SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN};

/// Reads a line from `fd`, one byte at a time. Returns false on a read error
/// (EINTR included: the caller decides) or on EOF before any byte.
bool read_line(int fd, std::string& out, int& err) {
  out.clear();
  for (;;) {
    char c;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      err = errno;
      return false;
    }
    if (n == 0) {
      err = 0;
      return !out.empty();
    }
    if (c == '\n') break;
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

std::nullopt_t fail(std::string& error, std::string text) {
  error = std::move(text);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> read_password_line_from_stdin(std::string& error) {
  std::string line;
  int err = 0;
  for (;;) {
    if (read_line(STDIN_FILENO, line, err)) return line;
    if (err != EINTR) break;
  }
  if (err != 0) return fail(error, std::string("cannot read password from stdin: ") + std::strerror(err));
  return fail(error, "no password on stdin");
}

std::optional<std::string> prompt_password_on_tty(const std::string& prompt, std::string& error) {
  for (;;) {
    const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
      return fail(error, "no terminal to ask for a password (use --password-stdin or FERRY_PASSWORD)");

    // Catch termination and job-control signals without SA_RESTART so read()
    // returns EINTR and the terminal is restored before they take effect.
    std::array<struct sigaction, prompt_signals.size()> saved{};
    struct sigaction sa {};
    sa.sa_handler = remember_signal;
    sigemptyset(&sa.sa_mask);
    g_caught_signal = 0;
    for (std::size_t i = 0; i < prompt_signals.size(); ++i)
      ::sigaction(prompt_signals[i], &sa, &saved[i]);

    termios old_tio{};
    const bool is_tty = ::tcgetattr(fd, &old_tio) == 0;
    if (is_tty) {
      termios quiet = old_tio;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHOE | ECHOK);
      quiet.c_lflag |= ECHONL;  // the user still sees the newline
      ::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    (void)!::write(fd, prompt.data(), prompt.size());

    std::string line;
    int err = 0;
    const bool got = read_line(fd, line, err);

    if (is_tty) ::tcsetattr(fd, TCSAFLUSH, &old_tio);
    if (!got) (void)!::write(fd, "\n", 1);
    ::close(fd);
    for (std::size_t i = 0; i < prompt_signals.size(); ++i)
      ::sigaction(prompt_signals[i], &saved[i], nullptr);

    if (const int sig = g_caught_signal; sig != 0) {
      ::raise(sig);  // the terminal is restored; now let the signal act
      if (sig == SIGTSTP || sig == SIGTTIN) continue;  // resumed: ask again
      return fail(error, "interrupted");
    }
    if (!got)
      return fail(error, err != 0 ? std::string("cannot read password: ") + std::strerror(err)
                              : std::string("no password given"));
    return line;
  }
}

std::optional<std::string> obtain_password(bool from_stdin, const std::string& prompt, std::string& error) {
  if (from_stdin) return read_password_line_from_stdin(error);
  if (const char* env = std::getenv("FERRY_PASSWORD"); env != nullptr) return std::string(env);
  return prompt_password_on_tty(prompt, error);
}

}  // namespace ferry::term
