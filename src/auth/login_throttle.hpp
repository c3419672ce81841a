// Throttle for failed logins, against password guessing:
// - the delay before a failure is answered doubles (250 ms, 500 ms, ... 8 s)
//   with the failures of that user from that address, and also with the
//   user's failures from anywhere (one per four: guessing one user from many
//   addresses is slowed too);
// - an address with `ban_after` failures (any users) is banned for
//   `ban_for`: its connections are refused before any work (as ProFTPD's
//   mod_ban and SFTPGo's defender do);
// - a success clears only that (address, user) pair: logging in to one's own
//   account does not wipe the address's failures against others;
// - 15 quiet minutes forget an entry.
// Pure (time is passed in), bounded in memory, thread-safe.
#pragma once
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ferry::auth {

class login_throttle {
 public:
  using clock = std::chrono::steady_clock;

  struct policy {
    unsigned ban_after = 30;                   ///< failures from one address; 0 = never ban
    std::chrono::seconds ban_for{15 * 60};
  };
  struct verdict {
    std::chrono::milliseconds delay{0};  ///< wait this long before answering
    bool banned_now = false;             ///< this failure got the address banned
  };

  login_throttle() = default;
  explicit login_throttle(policy p) : policy_(p) {}
  void set_policy(policy p);

  verdict record_failure(const std::string& addr, const std::string& user, clock::time_point now);
  void record_success(const std::string& addr, const std::string& user);
  /// Failures remembered for the pair (after expiry at `now`).
  unsigned failures(const std::string& addr, const std::string& user, clock::time_point now);
  /// When the ban of `addr` ends; nullopt when it is not banned.
  std::optional<clock::time_point> banned_until(const std::string& addr, clock::time_point now);
  /// Addresses banned now, with the end of their ban (for logs and ctl).
  std::vector<std::pair<std::string, clock::time_point>> bans(clock::time_point now);

  /// Bounded memory: entries per table at most (oldest dropped beyond).
  static constexpr std::size_t max_tracked = 65536;

 private:
  struct entry {
    unsigned failures = 0;
    clock::time_point last;
  };
  /// A bounded map of failure counts that forgets quiet entries.
  class table {
   public:
    unsigned add(const std::string& key, clock::time_point now);
    unsigned get(const std::string& key, clock::time_point now);
    void erase(const std::string& key) { map_.erase(key); }

   private:
    std::unordered_map<std::string, entry> map_;
  };

  std::mutex mu_;
  policy policy_;
  table pairs_, users_, addrs_;
  std::unordered_map<std::string, clock::time_point> bans_;
};

}  // namespace ferry::auth
