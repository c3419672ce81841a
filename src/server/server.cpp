// Listener, accept loop and signal handling.
#include "server/server.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "ftp/reply.hpp"
#include "ftp/session.hpp"
#include "proto/frame.hpp"
#include "server/io_pool.hpp"
#include "server/native_session.hpp"
#include "server/server_context.hpp"

namespace ferry::server {
namespace {

constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);

std::string to_string(const asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

asio::awaitable<void> serve_connection(asio::ip::tcp::socket sock, server_context& ctx,
                                       std::uint64_t id, std::string peer) {
  {
    native_session s(std::move(sock), ctx, id, std::move(peer));
    co_await s.run();
  }
  ctx.registry.close(id);
}

asio::awaitable<void> serve_ftp(asio::ip::tcp::socket sock, server_context& ctx, std::uint64_t id,
                                std::string peer) {
  {
    ftp::session s(std::move(sock), ctx, id, std::move(peer));
    co_await s.run();
  }
  ctx.registry.close(id);
}

enum class protocol { native, ftp };

asio::awaitable<void> refuse_connection(asio::ip::tcp::socket sock, protocol proto) {
  nlohmann::json r{{"id", 0}, {"status", 429}, {"error", "too_many_sessions"},
                   {"message", "too many sessions; try again later"}};
  const std::string frame = proto == protocol::ftp ? ftp::reply(421, "Too many connections; try again later.")
                                                   : proto::encode_frame(r);
  co_await asio::async_write(sock, asio::buffer(frame), use_nothrow);
  std::error_code ec;
  sock.close(ec);
}

asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor, io_pool& pool,
                                  server_context& ctx, protocol proto) {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(pool.next(), use_nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: back off instead of spinning.
      spdlog::error("accept: {}", ec.message());
      asio::steady_timer t(acceptor.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_nothrow);
      continue;
    }
    std::error_code opt_ec;
    sock.set_option(asio::ip::tcp::no_delay(true), opt_ec);
    const auto ep = sock.remote_endpoint(opt_ec);
    if (opt_ec) continue;
    const std::string peer = to_string(ep);
    const auto id = ctx.registry.open(ep.address().to_string());
    auto exec = sock.get_executor();
    if (id == 0) {
      spdlog::warn("refusing {}: session limit reached", peer);
      asio::co_spawn(exec, refuse_connection(std::move(sock), proto), asio::detached);
      continue;
    }
    if (proto == protocol::ftp) asio::co_spawn(exec, serve_ftp(std::move(sock), ctx, id, peer), asio::detached);
    else asio::co_spawn(exec, serve_connection(std::move(sock), ctx, id, peer), asio::detached);
  }
}

}  // namespace

server::server(config cfg) {
  ctx_ = std::make_unique<server_context>(std::move(cfg));
  std::string error;
  if (!ctx_->accounts.reload(error)) throw std::runtime_error(error);
  ctx_->secret = load_or_create_secret(ctx_->cfg.root);
  pool_ = std::make_unique<io_pool>(ctx_->cfg.threads);
}

server::~server() = default;

asio::ip::tcp::endpoint server::bind() {
  const auto& l = ctx_->cfg.listen;
  asio::ip::tcp::endpoint ep(asio::ip::make_address(l.host), l.port);
  acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(pool_->first());
  acceptor_->open(ep.protocol());
  acceptor_->set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_->bind(ep);
  acceptor_->listen(asio::socket_base::max_listen_connections);
  return acceptor_->local_endpoint();
}

std::optional<asio::ip::tcp::endpoint> server::bind_ftp() {
  if (!ctx_->cfg.ftp.listen) return std::nullopt;
  const auto& l = *ctx_->cfg.ftp.listen;
  asio::ip::tcp::endpoint ep(asio::ip::make_address(l.host), l.port);
  ftp_acceptor_ = std::make_unique<asio::ip::tcp::acceptor>(pool_->first());
  ftp_acceptor_->open(ep.protocol());
  ftp_acceptor_->set_option(asio::ip::tcp::acceptor::reuse_address(true));
  ftp_acceptor_->bind(ep);
  ftp_acceptor_->listen(asio::socket_base::max_listen_connections);
  return ftp_acceptor_->local_endpoint();
}

int server::run() {
  auto& loop = pool_->first();
  asio::signal_set stop_signals(loop, SIGINT, SIGTERM);
  stop_signals.async_wait([this](const std::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    std::error_code ignore;
    acceptor_->close(ignore);
    if (ftp_acceptor_) ftp_acceptor_->close(ignore);
    pool_->stop();
  });
  asio::signal_set hup(loop, SIGHUP);
  std::function<void(const std::error_code&, int)> on_hup = [&](const std::error_code& ec, int) {
    if (ec) return;
    std::string error;
    if (ctx_->accounts.reload(error)) spdlog::info("accounts reloaded");
    else spdlog::error("reload failed: {}", error);
    hup.async_wait(on_hup);
  };
  hup.async_wait(on_hup);
  asio::co_spawn(loop, accept_loop(*acceptor_, *pool_, *ctx_, protocol::native), asio::detached);
  if (ftp_acceptor_) {
    asio::co_spawn(loop, accept_loop(*ftp_acceptor_, *pool_, *ctx_, protocol::ftp), asio::detached);
    spdlog::info("ferryd FTP front-end on {}", to_string(ftp_acceptor_->local_endpoint()));
  }
  spdlog::info("ferryd serving {} on {} with {} loop(s)", ctx_->cfg.root.string(),
               to_string(acceptor_->local_endpoint()), pool_->size());
  pool_->run();
  return 0;
}

}  // namespace ferry::server
