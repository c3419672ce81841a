// The UDP status responder: receive, validate, rate-limit, answer.
#include "server/status_responder.hpp"

#include <algorithm>
#include <limits>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <spdlog/spdlog.h>

#include "proto/status_datagram.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::server {
namespace {

namespace st = proto::status;
using asio::ip::udp;

/// Datagrams read per wake-up at most.
constexpr int max_batch = 256;

std::uint32_t saturate(std::uint64_t v) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, std::numeric_limits<std::uint32_t>::max()));
}

status_limiter::address key_of(const asio::ip::address& a) {
  if (a.is_v6()) return a.to_v6().to_bytes();
  return asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
}

}  // namespace

status_responder::status_responder(asio::io_context& io, session::server_context& ctx,
                                   const asio::ip::tcp::endpoint& where)
    : ctx_(ctx), socket_(io) {
  const udp::endpoint ep(where.address(), where.port());
  socket_.open(ep.protocol());
  socket_.bind(ep);
  // A reply that cannot leave at once is dropped, never queued.
  socket_.non_blocking(true);
}

std::unique_ptr<status_responder> status_responder::open(asio::io_context& io, session::server_context& ctx,
                                                         const asio::ip::tcp::endpoint& where) {
  try {
    return std::make_unique<status_responder>(io, ctx, where);
  } catch (const std::system_error& e) {
    spdlog::warn("UDP status off: cannot bind UDP {}:{}: {}", where.address().to_string(), where.port(),
                 e.code().message());
    return nullptr;
  }
}

void status_responder::start() { asio::co_spawn(socket_.get_executor(), serve(), asio::detached); }

void status_responder::close() {
  std::error_code ec;
  socket_.close(ec);
}

asio::awaitable<void> status_responder::serve() {
  // One byte more than a request: a longer datagram is seen as too long
  // (the kernel truncates it to the buffer) and dropped.
  std::array<std::uint8_t, st::datagram_size + 1> buf{};
  udp::endpoint from;
  for (;;) {
    auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buf), from, session::use_nothrow);
    if (ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor || !socket_.is_open()) co_return;
    if (ec) continue;  // e.g. an ICMP error for an earlier reply: not fatal
    handle(std::span<const std::uint8_t>(buf.data(), n), from);
    // Then whatever else is queued, without a trip through the loop each: a
    // flood is drained (and dropped) fast, so the kernel's queue has room for
    // the requests of others. Bounded, so the loop's other work gets its turn.
    for (int more = 0; more < max_batch; ++more) {
      std::error_code rec;
      const auto m = socket_.receive_from(asio::buffer(buf), from, 0, rec);
      if (rec) break;  // would_block: the queue is empty
      handle(std::span<const std::uint8_t>(buf.data(), m), from);
    }
  }
}

void status_responder::handle(std::span<const std::uint8_t> datagram, const udp::endpoint& from) {
  // SECURITY: malformed datagrams and sources over their budget get no
  // answer at all.
  const auto req = st::decode_request(datagram);
  if (!req) return;
  if (!limiter_.allow(key_of(from.address()), std::chrono::steady_clock::now())) return;
  answer(req->nonce, from);
}

void status_responder::answer(std::uint64_t nonce, const udp::endpoint& to) {
  st::reply r;
  r.nonce = nonce;
  r.server_major = FERRY_VERSION_MAJOR;
  r.server_minor = FERRY_VERSION_MINOR;
  r.server_patch = FERRY_VERSION_PATCH;
  const auto up = std::chrono::steady_clock::now() - started_;
  r.uptime = saturate(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(up).count()));
  const std::size_t sessions = ctx_.registry.count();
  r.sessions = saturate(sessions);
  r.max_sessions = ctx_.cfg.max_sessions;
  if (ctx_.registry.gate_closed()) r.flags = static_cast<std::uint16_t>(r.flags | st::flag_draining);
  const std::size_t logged_in = sessions - std::min(sessions, ctx_.registry.pending());
  if (ctx_.cfg.max_sessions != 0 && logged_in * 10 >= std::size_t{ctx_.cfg.max_sessions} * 9)
    r.flags = static_cast<std::uint16_t>(r.flags | st::flag_busy);
  const auto out = st::encode(r);
  std::error_code ec;
  socket_.send_to(asio::buffer(out), to, 0, ec);  // best effort: dropped if it would block
}

}  // namespace ferry::server
