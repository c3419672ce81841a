// The session skeleton both protocols share, written once: the run loop that
// never throws, the login/idle watchdog, the shutdown hook from the gate, the
// throttled login failure, logging a user in, pacing by the token buckets and
// the transfer log. A protocol derives from it and supplies serve() (and, if
// it wants, greet(), farewell() and busy()).
//
// Thread affinity: a session lives on its socket's io_context for its whole
// life; every member runs there, so nothing here needs a lock. The registry
// entry (admitted by the listener) is closed by the destructor; the per-user
// slot is freed as soon as the session's last words are out.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include "proto/errc.hpp"
#include "session/activity_log.hpp"
#include "session/byte_stream.hpp"
#include "session/fs_workers.hpp"
#include "session/nav_state.hpp"
#include "session/session_activity.hpp"
#include "session/stream_io.hpp"
#include "session/user_login.hpp"

namespace ferry::session {

struct server_context;

class session_base {
 public:
  using clock = std::chrono::steady_clock;

  /// `id` is the registry id the listener admitted; `service` names the
  /// protocol in logs and xferlog ("ferry", "ftp").
  session_base(asio::ip::tcp::socket socket, server_context& ctx, std::uint64_t id,
               std::string peer, std::string_view service);
  virtual ~session_base();
  session_base(const session_base&) = delete;
  session_base& operator=(const session_base&) = delete;

  /// Serves the connection until it ends; never throws. An exception from a
  /// handler is logged and closes only this session.
  asio::awaitable<void> run();

 protected:
  enum class ending { normal, timeout, shutdown, kicked };

  /// First words (FTP's 220); false when the connection is already gone.
  virtual asio::awaitable<bool> greet() { co_return true; }
  /// Reads and answers requests until the connection ends, or until
  /// stopping() at a point where !busy().
  virtual asio::awaitable<void> serve() = 0;
  /// Last words after serve() has stopped, so they never interleave with a
  /// reply it was writing.
  virtual asio::awaitable<void> farewell(ending) { co_return; }
  /// True while the session is in work a graceful shutdown lets finish (a
  /// request being answered, an upload still open). An idle session is
  /// closed at once when the gate asks.
  virtual bool busy() const = 0;

  /// Pushes the idle deadline forward (the login deadline until logged in).
  void touch();
  bool logged_in() const noexcept { return logged_in_; }
  /// The gate asked this session to finish.
  bool stopping() const noexcept { return stop_requested_; }

  /// Records a failed login for the peer's address and waits the throttle's
  /// delay. False when this connection has used up its attempts.
  asio::awaitable<bool> login_failed(const std::string& user, std::string_view reason);
  /// Logs the session in as `user` (a proven identity): per-user session
  /// limit, home jail, shared quota ledger and token bucket.
  asio::awaitable<login_refusal> log_in(const std::string& user);

  /// Runs a filesystem call that may block on a worker, never on this
  /// session's loop (fs_workers.hpp); `f` may use the caller's locals.
  template <class F>
  asio::awaitable<std::invoke_result_t<F&>> fs(F f) {
    return lane().run(std::move(f));
  }
  /// This session's way to the workers, counted against its user.
  fs_lane lane() const { return {fs_workers_, login_.state.get()}; }

  /// The user's and the server's token buckets.
  pacer pacing() const;
  /// A transfer starts: `ferryd ctl sessions` shows it until log_transfer()
  /// of the same path. `size` 0 = unknown; `offset` where a resume starts.
  void transfer_begin(const std::string& path, bool incoming, std::uint64_t size, std::uint64_t offset) {
    activity_->begin_transfer(path, incoming, size, offset);
  }
  /// The live side of this session (transfer loops add their bytes to it).
  session_activity& activity() noexcept { return *activity_; }
  /// One xferlog line for a transfer of this session; it also counts the
  /// transfer in the server's stats and ends it in activity(). An incomplete
  /// one (aborted, cut, refused) also gets an activity-log line ("transfer",
  /// result = `why`'s wire error, or "aborted" when `why` is ok): xferlog's
  /// status letter alone cannot tell a refusal from a client gone.
  void log_transfer(const std::string& path, bool incoming, std::uint64_t bytes,
                    clock::time_point started, bool complete, errc why = errc::ok);

  /// True when the connection came in on a non-loopback address (where
  /// TLS is required by default).
  bool off_loopback() const;

  byte_stream stream_;             ///< plain or TLS; every read and write goes here
  asio::ip::tcp::socket& socket_;  ///< stream_'s socket, for socket-level calls
  server_context& ctx_;
  const std::uint64_t id_;
  const std::string peer_;       ///< "addr:port" for logs
  const std::string peer_addr_;  ///< address only, for throttling and xferlog
  user_login login_;             ///< jail, user state and name once logged in
  nav_state nav_;
  activity_actor actor_;         ///< this session in the activity log

 private:
  asio::awaitable<void> greet_and_serve();
  asio::awaitable<void> watchdog();
  void request_stop();
  void kick();
  /// Ends the connection without a reset destroying replies in flight: FIN
  /// after what was sent, then drops what the client still sends, until its
  /// FIN, or until it has acknowledged everything, or a short bound.
  asio::awaitable<void> close_gracefully();
  asio::awaitable<void> drain_input();
  asio::awaitable<void> wait_acked();

  const std::string_view service_;
  fs_workers& fs_workers_;
  asio::steady_timer timer_;
  clock::time_point deadline_;
  unsigned failed_auths_ = 0;
  bool logged_in_ = false;
  bool stop_requested_ = false;
  bool kicked_ = false;
  ending ending_ = ending::normal;
  /// Lets a stop request posted by the gate notice that the session is gone.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  /// Read by the admin socket from another thread (session_activity.hpp).
  std::shared_ptr<session_activity> activity_;
};

}  // namespace ferry::session
