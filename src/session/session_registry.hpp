// Every live session, for limits (global, per address, per user), for the
// admin socket, and as the shutdown *gate* (Seastar's habit): the server can
// stop admitting sessions, ask every live one to finish, and wait for them
// with a deadline. Sessions are tracked from admission to the end of their
// coroutine, never fire-and-forget. Thread-safe: sessions on any loop call in.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "session/session_activity.hpp"

namespace ferry::session {

struct session_limits {
  unsigned max_sessions = 0;         ///< logged-in sessions; 0 = unlimited
  unsigned max_sessions_per_ip = 0;  ///< all connections of one address; 0 = unlimited
  /// Connections not logged in yet, in all and per address (0 = unlimited):
  /// they have their own small pool, so a flood of connections that never
  /// log in cannot take the slots of users who do.
  unsigned max_pending = 0;
  unsigned max_pending_per_ip = 0;
};

class session_registry {
 public:
  using clock = std::chrono::steady_clock;
  /// Asks one session to finish. Called with the registry's lock held, from
  /// any thread: it must only post work to the session's own executor.
  using stopper = std::function<void()>;

  explicit session_registry(session_limits limits) : limits_(limits) {}

  /// Admits a new connection from `addr` as pending (not logged in); returns
  /// its id, or 0 when the pending pool (global or the address's), the
  /// address's limit or the gate refuses it.
  std::uint64_t open(const std::string& addr);
  /// How session `id` is asked to finish. When the gate already asked
  /// everyone, `stop` runs at once.
  void on_stop(std::uint64_t id, stopper stop);
  /// Binds an admitted session to `user` (it leaves the pending pool); false
  /// when the user already has `max_for_user` sessions (0 = unlimited) or
  /// the server has max_sessions logged-in ones.
  bool bind_user(std::uint64_t id, const std::string& user, unsigned max_for_user);
  /// The session no longer counts against its user's limit (it is closing;
  /// the connection still counts for the gate and the address limit).
  void unbind_user(std::uint64_t id);
  /// What `ferryd ctl` sees of session `id`, and how it is closed at once
  /// (`kick`: same rules as stopper — post only).
  void publish(std::uint64_t id, std::shared_ptr<const session_activity> activity, stopper kick);
  /// The session has ended (its coroutine is done); wakes wait_idle().
  void close(std::uint64_t id);
  std::size_t count() const;
  /// Sessions closed since the start.
  std::uint64_t closed_total() const;
  /// Connections not logged in.
  std::size_t pending() const;
  /// Logged-in sessions of `user`.
  unsigned user_count(const std::string& user) const;

  /// One live session as the admin socket lists it.
  struct entry {
    std::uint64_t id = 0;
    std::string user;   ///< "" while not logged in
    std::shared_ptr<const session_activity> activity;  ///< null until published
  };
  /// Every live session, by id.
  std::vector<entry> list() const;
  /// Closes session `id` now (mid-transfer too); false when there is none.
  bool kick(std::uint64_t id);
  /// Closes every session of `user` now; returns how many.
  std::size_t kick_user(const std::string& user);

  // The gate.
  /// Stops admitting: open() returns 0 from now on.
  void close_gate();
  bool gate_closed() const;
  /// Closes the gate and asks every live session to finish (each decides
  /// when: an idle one at once, a busy one after its transfer).
  void stop_all();
  /// Blocks until no session is left, `deadline` passes or release_waiters()
  /// is called; true when none is left. Never call it from an event-loop
  /// thread (it blocks that loop).
  bool wait_idle(clock::time_point deadline);
  /// Wakes every wait_idle() now and makes later ones return at once (a
  /// second stop signal: stop without waiting any longer).
  void release_waiters();

 private:
  struct info {
    std::string addr;
    std::string user;
    stopper stop;
    stopper kick;
    std::shared_ptr<const session_activity> activity;
    bool pending = true;  ///< not logged in yet
  };
  void leave_pending(info& s);
  session_limits limits_;
  mutable std::mutex mu_;
  std::condition_variable idle_;
  std::uint64_t next_id_ = 1;
  std::uint64_t closed_ = 0;
  bool gate_closed_ = false;
  bool stopping_ = false;
  bool released_ = false;
  std::map<std::uint64_t, info> sessions_;
  std::map<std::string, unsigned, std::less<>> per_addr_;
  std::map<std::string, unsigned, std::less<>> per_user_;
  std::map<std::string, unsigned, std::less<>> pending_per_addr_;
  std::size_t pending_ = 0;
  std::size_t logged_in_ = 0;  ///< bound to a user
};

}  // namespace ferry::session
