// Accept loop and session spawning.
#include "server/listener.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "ftp/ftp_session.hpp"
#include "ftp/reply.hpp"
#include "native/native_session.hpp"
#include "proto/frame.hpp"
#include "proto/request.hpp"
#include "server/io_pool.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::server {
namespace {

using session::use_nothrow;
using tcp = asio::ip::tcp;

std::string to_string(const tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

/// The session lives in this coroutine's frame; its destructor closes its
/// registry entry, which is what the shutdown gate waits for.
template <class Session, class... Args>
asio::awaitable<void> serve(tcp::socket sock, session::server_context& ctx, std::uint64_t id,
                            std::string peer, Args... args) {
  Session s(std::move(sock), ctx, id, std::move(peer), args...);
  co_await s.run();
}

}  // namespace

listener::listener(io_pool& pool, session::server_context& ctx, protocol proto,
                   const session::endpoint_spec& where)
    : pool_(pool), ctx_(ctx), proto_(proto), acceptor_(pool.first()) {
  tcp::endpoint ep(asio::ip::make_address(where.host), where.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

tcp::endpoint listener::local_endpoint() const { return acceptor_.local_endpoint(); }

void listener::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

void listener::close() {
  std::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> listener::refuse(tcp::socket sock, bool banned) {
  const auto e = banned ? errc::forbidden : errc::too_many_sessions;
  std::error_code ec;
  if (proto_ == protocol::ftps) {
    // No handshake for a connection over the limit: closing is the answer.
    sock.close(ec);
    co_return;
  }
  const std::string frame =
      proto_ == protocol::ftp
          ? ftp::reply(421, banned ? "Too many failed logins from your address; try again later."
                                   : "Too many connections; try again later.")
          : proto::encode_frame(proto::error_reply(
                0, e, banned ? "too many failed logins from your address; try again later"
                             : "too many sessions; try again later"));
  co_await asio::async_write(sock, asio::buffer(frame), use_nothrow);
  sock.close(ec);
}

asio::awaitable<void> listener::accept_loop() {
  for (;;) {
    auto [ec, sock] = co_await acceptor_.async_accept(pool_.next(), use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning.
      spdlog::error("accept: {}", ec.message());
      asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_nothrow);
      continue;
    }
    std::error_code opt_ec;
    sock.set_option(tcp::no_delay(true), opt_ec);
    const auto ep = sock.remote_endpoint(opt_ec);
    if (opt_ec) continue;
    std::string peer = to_string(ep);
    const std::string addr = ep.address().to_string();
    auto exec = sock.get_executor();
    // A banned address costs one lookup and a short refusal, nothing more.
    if (ctx_.throttle.banned_until(addr, std::chrono::steady_clock::now())) {
      spdlog::info("refusing {}: address banned after failed logins", peer);
      asio::co_spawn(exec, refuse(std::move(sock), true), asio::detached);
      continue;
    }
    const auto id = ctx_.registry.open(addr);
    if (id == 0) {
      spdlog::warn("refusing {}: session limit reached", peer);
      asio::co_spawn(exec, refuse(std::move(sock)), asio::detached);
      continue;
    }
    // Tracked, not fire-and-forget: the registry entry lives until the
    // session's coroutine ends (also when it ends by an exception).
    auto done = [&ctx = ctx_, id](std::exception_ptr e) {
      if (e) spdlog::error("session {} ended by an exception", id);
      ctx.registry.close(id);
    };
    if (proto_ == protocol::ftp || proto_ == protocol::ftps)
      asio::co_spawn(exec, serve<ftp::ftp_session>(std::move(sock), ctx_, id, std::move(peer),
                                                   proto_ == protocol::ftps), done);
    else
      asio::co_spawn(exec, serve<native::native_session>(std::move(sock), ctx_, id, std::move(peer)), done);
  }
}

}  // namespace ferry::server
