// The /metrics responder.
#include "server/metrics_server.hpp"

#include <array>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/ctl_server.hpp"
#include "server/metrics_text.hpp"
#include "session/config.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::server {
namespace {

using session::use_nothrow;
using tcp = asio::ip::tcp;

std::string response(int status, const std::string& body, bool head_only) {
  const char* reason = status == 200   ? "OK"
                       : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed"
                       : status == 431 ? "Request Header Fields Too Large"
                       : status == 408 ? "Request Timeout"
                                       : "Bad Request";
  const char* type = status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8";
  std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n",
                                status, reason, type, body.size(), status == 405 ? "Allow: GET, HEAD\r\n" : "");
  if (!head_only) out += body;
  return out;
}

}  // namespace

metrics_server::metrics_server(asio::io_context& loop, session::server_context& ctx,
                               const session::endpoint_spec& where)
    : ctx_(ctx), acceptor_(loop) {
  tcp::endpoint ep(asio::ip::make_address(where.host), where.port);
  acceptor_.open(ep.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen(static_cast<int>(metrics_max_connections));
}

tcp::endpoint metrics_server::local_endpoint() const { return acceptor_.local_endpoint(); }

void metrics_server::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

void metrics_server::close() {
  std::error_code ec;
  acceptor_.close(ec);
}

asio::awaitable<void> metrics_server::accept_loop() {
  for (;;) {
    auto [ec, s] = co_await acceptor_.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      spdlog::error("metrics: accept: {}", ec.message());
      asio::steady_timer t(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await t.async_wait(use_nothrow);
      continue;
    }
    if (open_ >= metrics_max_connections) {
      std::error_code cec;
      s.close(cec);  // a scraper retries; a flood gets nothing
      continue;
    }
    ++open_;
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(s)), asio::detached);
  }
}

asio::awaitable<void> metrics_server::serve(tcp::socket s) {
  using namespace asio::experimental::awaitable_operators;
  // One deadline for the whole exchange, not per read: a client trickling a
  // byte a second cannot keep its slot.
  asio::steady_timer deadline(s.get_executor(), metrics_request_timeout);
  std::string head;
  std::array<char, 1024> buf;
  int status = 0;
  while (status == 0) {
    auto got = co_await (s.async_read_some(asio::buffer(buf), use_nothrow) || deadline.async_wait(use_nothrow));
    if (got.index() == 1) {
      status = 408;
      break;
    }
    const auto [ec, n] = std::get<0>(got);
    if (ec) break;
    head.append(buf.data(), n);
    if (head.find("\r\n\r\n") != std::string::npos) status = metrics_status(head);
    else if (head.size() > metrics_max_request) status = 431;
  }
  if (status != 0) {
    const bool head_only = head.starts_with("HEAD ");
    const std::string body =
        status == 200 ? metrics_text(collect_stats(ctx_)) : (status == 404 ? "try /metrics\n" : "bad request\n");
    const auto out = response(status, body, head_only && status == 200);
    co_await (asio::async_write(s, asio::buffer(out), use_nothrow) || deadline.async_wait(use_nothrow));
  }
  std::error_code ec;
  s.shutdown(tcp::socket::shutdown_both, ec);
  s.close(ec);
  --open_;
}

}  // namespace ferry::server
