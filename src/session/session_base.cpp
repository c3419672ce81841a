// The shared session skeleton: run loop, watchdog, gate hook, login helpers.
#include "session/session_base.hpp"

#include <array>
#include <ctime>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/post.hpp>
#include <spdlog/spdlog.h>

#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"
#include "session/user_state.hpp"
#include "vfs/jail.hpp"

namespace ferry::session {
namespace {

/// Bounds of the lingering close: how long and how much input to wait out.
constexpr auto linger_time = std::chrono::seconds(2);
constexpr auto linger_poll = std::chrono::milliseconds(5);
constexpr std::size_t linger_bytes = 1 << 20;
/// How long a session's last words may take.
constexpr auto farewell_time = std::chrono::seconds(2);

const char* refusal_name(login_refusal r) {
  switch (r) {
    case login_refusal::unknown_user: return "unknown_user";
    case login_refusal::too_many_sessions: return "too_many_sessions";
    case login_refusal::home_unavailable: return "home_unavailable";
    case login_refusal::none: break;
  }
  return "none";
}

}  // namespace

session_base::session_base(asio::ip::tcp::socket socket, server_context& ctx, std::uint64_t id,
                           std::string peer, std::string_view service)
    : stream_(std::move(socket)),
      socket_(stream_.socket()),
      ctx_(ctx),
      id_(id),
      peer_(std::move(peer)),
      peer_addr_(address_of(peer_)),
      service_(service),
      fs_workers_(ctx.fs),
      timer_(socket_.get_executor()),
      activity_(std::make_shared<session_activity>(std::string(service), peer_)) {
  actor_.log = &ctx.activity;
  actor_.service = service_;
  actor_.session = id_;
  actor_.peer = peer_;
  nav_.actor = &actor_;
}

session_base::~session_base() { ctx_.registry.close(id_); }

asio::awaitable<void> session_base::run() {
  using namespace asio::experimental::awaitable_operators;
  spdlog::info("{} {} open from {}", service_, id_, peer_);
  const auto opened = clock::now();
  actor_.record("session_open", {});
  deadline_ = clock::now() + ctx_.live.login_timeout();
  // The gate may call from any thread: hop onto this session's loop, and do
  // nothing if the session has ended by then.
  ctx_.registry.on_stop(id_, [this, ex = socket_.get_executor(), alive = std::weak_ptr<bool>(alive_)] {
    asio::post(ex, [this, alive] {
      if (alive.lock()) request_stop();
    });
  });
  ctx_.registry.publish(id_, activity_, [this, ex = socket_.get_executor(), alive = std::weak_ptr<bool>(alive_)] {
    asio::post(ex, [this, alive] {
      if (alive.lock()) kick();
    });
  });
  try {
    // The greeting (FTP's 220, implicit FTPS's handshake) is under the
    // watchdog too: a client that stalls it is cut at the login timeout.
    co_await (greet_and_serve() || watchdog());
    if (ending_ == ending::normal && stop_requested_) ending_ = ending::shutdown;
    // Last words are best effort: a peer that stopped reading (or a TLS
    // handshake the watchdog cut) must not hold the session.
    asio::steady_timer bound(socket_.get_executor(), farewell_time);
    co_await (farewell(ending_) || bound.async_wait(use_nothrow));
    // The user's session is over: free its per-user slot now, not after the
    // bounded linger below (a client that reconnects at once must get in).
    ctx_.registry.unbind_user(id_);
    co_await close_gracefully();
  } catch (const std::exception& e) {
    // SECURITY: one bad session must never take the server down.
    spdlog::error("{} {}: {}", service_, id_, e.what());
  }
  std::error_code ec;
  socket_.close(ec);
  spdlog::info("{} {} closed{}{}", service_, id_, login_.user.empty() ? "" : " user=", login_.user);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - opened).count();
  actor_.record("session_close", {{"ending", ending_ == ending::timeout    ? "timeout"
                                                  : ending_ == ending::shutdown ? "shutdown"
                                                                                : "normal"}, {"ms", ms}});
}

asio::awaitable<void> session_base::greet_and_serve() {
  // Two statements: GCC 12 miscompiles `if (co_await a) co_await b;` here
  // (the coroutine dies with SIGILL).
  const bool greeted = co_await greet();
  if (!greeted) co_return;
  co_await serve();
}

asio::awaitable<void> session_base::close_gracefully() {
  using namespace asio::experimental::awaitable_operators;
  std::error_code ec;
  stream_.send_close_notify();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  // Closing with unread input (a request pipelined behind the last one
  // answered) makes the kernel reset the connection, and a reset discards
  // replies still on their way. So read until the client's FIN, or until
  // the client has acknowledged everything sent (a reset then loses
  // nothing), bounded in time and bytes.
  co_await (drain_input() || wait_acked());
}

asio::awaitable<void> session_base::wait_acked() {
  const auto give_up = clock::now() + linger_time;
  asio::steady_timer t(socket_.get_executor());
  while (unacked_bytes(socket_) > 0 && clock::now() < give_up) {
    t.expires_after(linger_poll);
    co_await t.async_wait(use_nothrow);
  }
}

asio::awaitable<void> session_base::drain_input() {
  std::array<char, 16 * 1024> buf;
  std::size_t total = 0;
  while (total < linger_bytes) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), use_nothrow);
    if (ec) co_return;
    total += n;
  }
}

bool session_base::off_loopback() const {
  std::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  return !ec && !local.address().is_loopback();
}

void session_base::touch() {
  activity_->touch(stream_.secure());
  if (!logged_in_) return;
  deadline_ = clock::now() + ctx_.live.idle_timeout();
  // The watchdog sleeps until the deadline it saw last. One that moved
  // earlier (an idle_timeout below the login_timeout, at login; a reload that
  // shortened it) wakes it to re-arm, or idle_timeout = 5 would act as the
  // login's 30 s (issue 13). Later deadlines need no wake-up: it re-reads.
  if (deadline_ < timer_.expiry()) timer_.cancel();
}

void session_base::kick() {
  // Like a timeout, but now: the watchdog ends and takes serve() (and any
  // transfer in it) down with it. Uploads keep their part files.
  kicked_ = true;
  timer_.cancel();
}

void session_base::request_stop() {
  stop_requested_ = true;
  timer_.cancel();
}

asio::awaitable<void> session_base::watchdog() {
  for (;;) {
    if (kicked_) {
      spdlog::warn("{} {}: kicked by the administrator (ferryd ctl kick)", service_, id_);
      ending_ = ending::kicked;
      co_return;
    }
    if (stop_requested_ && !busy()) {
      spdlog::info("{} {}: closed for shutdown", service_, id_);
      ending_ = ending::shutdown;
      co_return;
    }
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(use_nothrow);
    if (clock::now() >= deadline_) {
      spdlog::info("{} {}: {} timeout", service_, id_, logged_in_ ? "idle" : "login");
      ending_ = ending::timeout;
      co_return;
    }
  }
}

asio::awaitable<bool> session_base::login_failed(const std::string& user, std::string_view reason) {
  ++failed_auths_;
  ctx_.stats.logins_failed.fetch_add(1, std::memory_order_relaxed);
  const auto v = ctx_.throttle.record_failure(peer_addr_, user, clock::now());
  spdlog::warn("{} {}: login failed for user \"{}\" from {}{}{}; delaying {} ms", service_, id_, user,
               peer_addr_, reason.empty() ? "" : ": ", reason, v.delay.count());
  if (v.banned_now)
    spdlog::warn("ban: {} banned for {} s after {} failed logins (ban_after)", peer_addr_,
                 ctx_.live.ban_seconds.load(), ctx_.live.ban_after.load());
  ctx_.activity.record("login", user, peer_,
                       {{"service", service_}, {"session", id_}, {"result", "failed"}, {"reason", reason}});
  if (v.banned_now)
    ctx_.activity.record("ban", "", peer_addr_,
                         {{"seconds", ctx_.live.ban_seconds.load()}, {"after", ctx_.live.ban_after.load()}});
  asio::steady_timer wait(socket_.get_executor(), v.delay);
  co_await wait.async_wait(use_nothrow);
  co_return !v.banned_now && failed_auths_ < ctx_.live.max_auth_attempts.load();
}

asio::awaitable<login_refusal> session_base::log_in(const std::string& user) {
  // Opening the home can block on a slow mount: on a worker.
  // Counted against the user like every later call: logins stuck on a home
  // that hangs hold at most the user's share of the workers.
  const auto state = ctx_.users.get(user);
  const auto r = co_await fs_workers_.run(
      state.get(), [&] { return open_user_login(ctx_, id_, user, peer_addr_, login_, nav_); });
  if (r == login_refusal::none) {
    ctx_.stats.logins_ok.fetch_add(1, std::memory_order_relaxed);
    logged_in_ = true;
    touch();
    actor_.user = user;
    actor_.record("login", {{"result", "ok"}});
  } else {
    ctx_.activity.record("login", user, peer_,
                         {{"service", service_}, {"session", id_}, {"result", "refused"}, {"reason", refusal_name(r)}});
  }
  co_return r;
}

pacer session_base::pacing() const { return {&login_.state->rate, &ctx_.global_rate}; }

void session_base::log_transfer(const std::string& path, bool incoming, std::uint64_t bytes,
                                clock::time_point started, bool complete, errc why) {
  transfer::xfer_record r;
  r.end = std::time(nullptr);
  r.seconds = std::chrono::duration<double>(clock::now() - started).count();
  ctx_.stats.transfer_ended(incoming, bytes, r.seconds, complete);
  activity_->end_transfer(path);
  r.host = peer_addr_;
  r.bytes = bytes;
  r.path = path;
  r.incoming = incoming;
  r.user = login_.user;
  r.service = std::string(service_);
  r.complete = complete;
  ctx_.xfer_log.write(r);
  if (!complete) {
    const std::string_view result = why == errc::ok ? std::string_view("aborted") : info(why).error;
    const std::string_view reason = why == errc::ok ? std::string_view("ended before it was complete") : info(why).text;
    actor_.record("transfer", {{"direction", incoming ? "upload" : "download"},
                               {"path", path},
                               {"bytes", bytes},
                               {"result", result},
                               {"reason", reason}});
  }
}

}  // namespace ferry::session
