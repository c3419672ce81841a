#include "client/interrupt.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace ferry::client {
namespace {

// Only lock-free atomics and async-signal-safe calls are used by the handler.
std::atomic<long long> g_last_ns{0};      // monotonic time of the last Ctrl-C
std::atomic<long long> g_previous_ns{0};  // and of the one before
std::atomic<int> g_fd{-1};
std::atomic<bool> g_fired{false};
struct sigaction g_saved {};

long long monotonic_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

extern "C" void on_command_interrupt(int) {
  note_interrupt();
  if (interrupted_twice()) {
    static constexpr char bye[] = "\n";
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, bye, sizeof bye - 1);
    ::_exit(130);
  }
  g_fired.store(true);
  if (const int fd = g_fd.load(); fd >= 0) {
    // Closed with a reset, not a FIN after what is still queued to send: the
    // server drops the rest of an upload at once instead of reading it.
    const linger reset{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::shutdown(fd, SHUT_RDWR);
  }
}

}  // namespace

void note_interrupt() noexcept {
  g_previous_ns.store(g_last_ns.load());
  g_last_ns.store(monotonic_ns());
}

bool interrupted_twice() noexcept {
  const long long prev = g_previous_ns.load();
  return prev != 0 &&
         g_last_ns.load() - prev < static_cast<long long>(double_interrupt_seconds * 1e9);
}

command_interrupt::command_interrupt(int fd) {
  static_assert(std::atomic<long long>::is_always_lock_free);
  g_fd.store(fd);
  g_fired.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_command_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking call returns EINTR
  ::sigaction(SIGINT, &sa, &g_saved);
}

command_interrupt::~command_interrupt() {
  ::sigaction(SIGINT, &g_saved, nullptr);
  g_fd.store(-1);
  g_fired.store(false);
}

bool command_interrupt::fired() const noexcept { return g_fired.load(); }

bool command_interrupted() noexcept { return g_fired.load(); }

}  // namespace ferry::client
