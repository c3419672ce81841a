// Every live session, for limits (global, per address, per user) and for the
// admin socket and graceful shutdown. Thread-safe: sessions on any loop call in.
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ferry::server {

struct session_limits {
  unsigned max_sessions = 0;         ///< 0 = unlimited
  unsigned max_sessions_per_ip = 0;  ///< 0 = unlimited
};

class session_registry {
 public:
  explicit session_registry(session_limits limits) : limits_(limits) {}

  /// Admits a new connection from `addr`; returns its id, or 0 when a global
  /// or per-address limit is reached.
  std::uint64_t open(const std::string& addr);
  /// Binds an admitted session to `user`; false when the user already has
  /// `max_for_user` sessions (0 = unlimited).
  bool bind_user(std::uint64_t id, const std::string& user, unsigned max_for_user);
  void close(std::uint64_t id);
  std::size_t count() const;
  /// Logged-in sessions of `user`.
  unsigned user_count(const std::string& user) const;

 private:
  struct info {
    std::string addr;
    std::string user;
  };
  session_limits limits_;
  mutable std::mutex mu_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, info> sessions_;
  std::map<std::string, unsigned, std::less<>> per_addr_;
  std::map<std::string, unsigned, std::less<>> per_user_;
};

}  // namespace ferry::server
