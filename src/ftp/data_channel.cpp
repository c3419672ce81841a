// FTP data connections: passive listeners, active connects, and the guard
// against connection theft.
#include "ftp/data_channel.hpp"

#include <random>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "session/use_nothrow.hpp"

namespace ferry::ftp {

using session::use_nothrow;

bool same_host(const asio::ip::address& a, const asio::ip::address& b) {
  auto norm = [](const asio::ip::address& x) -> asio::ip::address {
    if (x.is_v6() && x.to_v6().is_v4_mapped())
      return asio::ip::make_address_v4(asio::ip::v4_mapped, x.to_v6());
    return x;
  };
  return norm(a) == norm(b);
}

void close_data(session::byte_stream& s) {
  std::error_code ec;
  s.send_close_notify();
  s.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  s.socket().close(ec);
}

void data_channel::reset() {
  if (pasv_) {
    std::error_code ec;
    pasv_->close(ec);
    pasv_.reset();
  }
  target_.reset();
}

void data_channel::connect_to(tcp::endpoint target) {
  reset();
  target_ = target;
}

std::optional<std::uint16_t> data_channel::listen(const asio::ip::address& local, std::uint16_t lo,
                                                  std::uint16_t hi) {
  reset();
  std::error_code ec;
  auto acc = std::make_unique<tcp::acceptor>(ex_);
  acc->open(local.is_v4() ? tcp::v4() : tcp::v6(), ec);
  // Ports of finished data connections sit in TIME_WAIT for a minute (the
  // server closes first); without SO_REUSEADDR a range of N ports would allow
  // only N transfers a minute. Two listeners still cannot share a port.
  if (!ec) acc->set_option(tcp::acceptor::reuse_address(true), ec);
  bool bound = false;
  if (!ec && lo != 0) {
    static thread_local std::minstd_rand rng{std::random_device{}()};
    const unsigned span = static_cast<unsigned>(hi - lo) + 1;
    const unsigned start = static_cast<unsigned>(rng() % span);
    for (unsigned i = 0; i < span && !bound; ++i) {
      const auto port = static_cast<std::uint16_t>(lo + (start + i) % span);
      acc->bind(tcp::endpoint(local, port), ec);
      bound = !ec;
    }
  } else if (!ec) {
    acc->bind(tcp::endpoint(local, 0), ec);
    bound = !ec;
  }
  if (bound) acc->listen(4, ec);
  if (!bound || ec) return std::nullopt;
  const auto port = acc->local_endpoint(ec).port();
  if (ec) return std::nullopt;
  pasv_ = std::move(acc);
  return port;
}

asio::awaitable<std::optional<asio::ip::tcp::socket>> data_channel::open(const asio::ip::address& peer,
                                                                         std::chrono::seconds timeout,
                                                                         std::uint64_t session_id) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(ex_, timeout);
  std::error_code ec;
  if (pasv_) {
    for (;;) {
      auto r = co_await (pasv_->async_accept(use_nothrow) || timer.async_wait(use_nothrow));
      if (r.index() == 1) {
        spdlog::info("ftp {}: no data connection within {} s", session_id, timeout.count());
        break;
      }
      auto [aec, sock] = std::get<0>(std::move(r));
      if (aec) break;
      const auto from = sock.remote_endpoint(ec);
      if (ec || !same_host(from.address(), peer)) {
        // SECURITY: someone else raced for the passive port.
        spdlog::warn("ftp {}: refused data connection from {} (expected {})", session_id,
                     ec ? "?" : from.address().to_string(), peer.to_string());
        sock.close(ec);
        continue;
      }
      reset();
      co_return std::move(sock);
    }
  } else if (target_) {
    tcp::socket s(ex_);
    const auto target = *target_;
    auto r = co_await (s.async_connect(target, use_nothrow) || timer.async_wait(use_nothrow));
    if (r.index() == 0 && !std::get<0>(std::get<0>(r))) {
      reset();
      co_return std::move(s);
    }
  }
  reset();
  co_return std::nullopt;
}

}  // namespace ferry::ftp
