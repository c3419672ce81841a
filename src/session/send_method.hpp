// How a file's bytes leave for a plain TCP socket, and which way is fastest
// on the machine ferryd runs on: the figures come from send_probe (measured at
// start); the choice made from them is pure and unit-tested.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::session {

enum class send_method : std::uint8_t {
  copy,      ///< pread into a buffer, send from it
  sendfile,  ///< sendfile(2): the kernel copies page cache -> socket
  splice,    ///< splice(2) page cache -> pipe -> socket
};
inline constexpr std::array all_send_methods{send_method::copy, send_method::sendfile, send_method::splice};

std::string_view name(send_method m) noexcept;
/// "copy", "sendfile" or "splice" ("auto" is the config's, not a method).
std::optional<send_method> parse_send_method(std::string_view s) noexcept;

/// MB/s measured for each method, sending a file from the page cache, and
/// with the file hashed on the way (a download of a file without a kept
/// digest); 0 = not measured or failed. With each, the sender's CPU time per
/// GB (user + system, ms): what many transfers at once will compete for.
struct send_figures {
  using per_method = std::array<double, all_send_methods.size()>;
  per_method plain{}, hashed{};
  per_method plain_cpu{}, hashed_cpu{};
  std::string hash_algo;
  bool measured() const noexcept;
};

/// Methods within this fraction of the fastest count as equally fast: one
/// loopback stream on a busy machine does not separate them better.
inline constexpr double send_tie = 0.10;

/// For each kind, the method that costs the least CPU among those within
/// send_tie of the fastest (one stream's speed is what one client sees; the
/// CPU is what a hundred clients share); copy when none was measured (copy
/// works on every kernel and file system).
struct send_choice {
  send_method plain = send_method::copy;
  send_method hashed = send_method::copy;
};
send_choice choose(const send_figures& f) noexcept;

/// One line for the log: the choice and every figure behind it.
std::string describe(const send_choice& c, const send_figures& f);

/// The server's current choice: set once by the probe (or the setting),
/// read by every download on any loop.
class send_paths {
 public:
  void set(send_choice c) noexcept {
    plain_.store(c.plain, std::memory_order_relaxed);
    hashed_.store(c.hashed, std::memory_order_relaxed);
  }
  /// The method for a download; TLS streams always copy (encryption is in
  /// user space, so the bytes must pass through it).
  send_method pick(bool hashing, bool secure) const noexcept {
    if (secure) return send_method::copy;
    return (hashing ? hashed_ : plain_).load(std::memory_order_relaxed);
  }

 private:
  std::atomic<send_method> plain_{send_method::copy};
  std::atomic<send_method> hashed_{send_method::copy};
};

}  // namespace ferry::session
