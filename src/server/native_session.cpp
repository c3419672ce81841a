// Native session: framing loop, hello/auth state machine, op dispatch.
#include "server/native_session.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/scram_server.hpp"
#include "proto/limits.hpp"
#include "proto/request.hpp"
#include "server/server_context.hpp"
#include "server/transfer_session.hpp"
#include "server/user_state.hpp"
#include "transfer/upload.hpp"
#include "vfs/jail.hpp"

#include <cstring>

namespace ferry::server {
namespace {

using json = nlohmann::json;
constexpr auto use_nothrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t out_flush_bytes = 256 * 1024;

}  // namespace

native_session::native_session(asio::ip::tcp::socket socket, server_context& ctx,
                               std::uint64_t id, std::string peer)
    : socket_(std::move(socket)),
      ctx_(ctx),
      id_(id),
      peer_(std::move(peer)),
      peer_addr_(address_of(peer_)),
      timer_(socket_.get_executor()),
      rbuf_(read_chunk) {}

native_session::~native_session() {
  // Uploads still open when the connection ends keep their part files for a
  // resume; the log records them as incomplete.
  for (auto& [id, u] : uploads_) log_transfer(u->up->path(), true, u->up->written(), u->started, false);
}

asio::awaitable<void> native_session::run() {
  using namespace asio::experimental::awaitable_operators;
  spdlog::info("session {} open from {}", id_, peer_);
  deadline_ = std::chrono::steady_clock::now() + ctx_.cfg.login_timeout;
  try {
    co_await (serve() || watchdog());
    co_await flush();
  } catch (const std::exception& e) {
    // SECURITY: one bad session must never take the server down.
    spdlog::error("session {}: {}", id_, e.what());
  }
  std::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  spdlog::info("session {} closed{}{}", id_, login_.user.empty() ? "" : " user=", login_.user);
}

void native_session::touch() {
  if (phase_ == phase::ready) deadline_ = std::chrono::steady_clock::now() + ctx_.cfg.idle_timeout;
}

asio::awaitable<void> native_session::watchdog() {
  for (;;) {
    timer_.expires_at(deadline_);
    co_await timer_.async_wait(use_nothrow);
    if (std::chrono::steady_clock::now() >= deadline_) {
      spdlog::info("session {}: {} timeout", id_, phase_ == phase::ready ? "idle" : "login");
      co_return;
    }
  }
}

asio::awaitable<void> native_session::serve() {
  for (;;) {
    json req;
    std::uint64_t body = 0;
    for (;;) {
      const auto r = decoder_.next(req, body);
      if (r == proto::frame_decoder::result::error) {
        spdlog::warn("session {}: protocol error: {}", id_, proto::describe(decoder_.error()));
        co_await send_error(0, errc::bad_request, std::string(proto::describe(decoder_.error())));
        co_return;
      }
      if (r != proto::frame_decoder::result::frame) break;
      touch();
      if (!co_await dispatch(req, body) || closing_) co_return;
      if (decoder_.body_remaining() > 0 && !co_await discard_body()) co_return;
    }
    if (!co_await flush()) co_return;
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(rbuf_), use_nothrow);
    if (ec) co_return;
    decoder_.feed({rbuf_.data(), n});
  }
}

asio::awaitable<bool> native_session::discard_body() {
  decoder_.take_body(decoder_.buffered());
  while (decoder_.body_remaining() > 0) {
    const auto want = std::min<std::uint64_t>(decoder_.body_remaining(), rbuf_.size());
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(rbuf_.data(), static_cast<std::size_t>(want)), use_nothrow);
    if (ec) co_return false;
    decoder_.body_read_externally(n);
  }
  co_return true;
}

asio::awaitable<bool> native_session::send(const json& reply) {
  out_ += proto::encode_frame(reply);
  if (out_.size() >= out_flush_bytes) co_return co_await flush();
  co_return true;
}

asio::awaitable<bool> native_session::flush() {
  if (out_.empty()) co_return true;
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), use_nothrow);
  out_.clear();
  if (out_.capacity() > 4 * out_flush_bytes) out_.shrink_to_fit();
  co_return !ec;
}

asio::awaitable<bool> native_session::send_error(std::uint64_t id, errc e,
                                                 const std::string& message) {
  co_return co_await send(error_reply(id, e, message));
}

asio::awaitable<bool> native_session::dispatch(const json& req, std::uint64_t body) {
  std::uint64_t id = 0;
  std::string why;
  auto env = proto::parse_envelope(req, id, why);
  if (!env) co_return co_await send_error(id, errc::bad_request, why);
  const bool takes_body = env->op == "put" || env->op == "data";
  if (body > 0 && (!takes_body || phase_ != phase::ready))
    co_return co_await send_error(id, errc::bad_request, "op \"" + env->op + "\" takes no body");

  if (phase_ == phase::greeting) {
    if (env->op != "hello") co_return co_await send_error(id, errc::bad_request, "the first frame must be hello");
    co_return co_await on_hello(id, req);
  }
  if (env->op == "hello") co_return co_await send_error(id, errc::bad_request, "hello already done");
  if (env->op == "bye") {
    closing_ = true;
    co_return co_await send(proto::reply(id));
  }
  if (env->op == "auth") {
    if (phase_ == phase::ready) co_return co_await send_error(id, errc::bad_request, "already authenticated");
    co_return co_await on_auth(id, req);
  }
  json reply;
  if (phase_ != phase::ready) {
    // Unknown ops are 400 even before login; known ones need authentication.
    if (!is_nav_op(env->op) && !is_transfer_op(env->op))
      co_return co_await send_error(id, errc::bad_request, "unknown op \"" + env->op + "\"");
    co_return co_await send_error(id, errc::not_authenticated, "log in first");
  }
  if (env->op == "get") co_return co_await on_get(id, req);
  if (env->op == "put") co_return co_await on_put(id, req, body);
  if (env->op == "data") co_return co_await on_data(id, body);
  if (env->op == "commit") co_return co_await on_commit(id, req);
  if (env->op == "hash") co_return co_await on_hash(id, req);
  if (!run_nav_op(env->op, id, req, nav_, reply))
    co_return co_await send_error(id, errc::bad_request, "unknown op \"" + env->op + "\"");
  co_return co_await send(reply);
}

asio::awaitable<bool> native_session::on_hello(std::uint64_t id, const json& req) {
  proto::fields f(req);
  const auto version = f.req_u64("version");
  if (!f.ok()) co_return co_await send_error(id, errc::bad_request, f.error());
  if (version != static_cast<std::uint64_t>(limits::protocol_version))
    co_return co_await send_error(id, errc::version_not_supported, "this server speaks version 1");
  phase_ = phase::login;
  json r = proto::reply(id);
  r["version"] = limits::protocol_version;
  r["server"] = "ferryd/0.1";
  r["auth"] = json::array({"SCRAM-SHA-256"});
  r["hash"] = json::array({"xxh128", "sha256", "md5"});
  co_return co_await send(r);
}

asio::awaitable<bool> native_session::on_auth(std::uint64_t id, const json& req) {
  proto::fields f(req);
  auto mech = f.opt_str("mechanism");
  const auto data = f.str("data");
  if (!f.ok()) co_return co_await send_error(id, errc::bad_request, f.error());

  auth::scram_server::step step;
  if (mech) {
    if (*mech != "SCRAM-SHA-256")
      co_return co_await send_error(id, errc::bad_request, "unsupported mechanism; use SCRAM-SHA-256");
    auto lookup = [this](std::string_view user) -> std::optional<auth::scram_verifier> {
      auto acct = ctx_.accounts.find(user);
      if (!acct) return std::nullopt;
      return auth::parse_verifier(acct->scram);
    };
    scram_ = std::make_unique<auth::scram_server>(lookup, ctx_.secret);
    step = scram_->client_first(data);
    if (step.k == auth::scram_server::step::kind::cont) {
      json r = proto::reply(id, 100);
      r["data"] = step.data;
      co_return co_await send(r);
    }
  } else {
    if (!scram_) co_return co_await send_error(id, errc::bad_request, "auth step without a mechanism");
    step = scram_->client_final(data);
    scram_.reset();
    if (step.k == auth::scram_server::step::kind::success)
      co_return co_await finish_login(id, step.user, step.data);
  }
  scram_.reset();
  ++failed_auths_;
  const auto delay = ctx_.throttle.record_failure(peer_addr_, std::chrono::steady_clock::now());
  spdlog::warn("session {}: login failed for user \"{}\" from {} ({}); delaying {} ms", id_,
               step.user, peer_addr_, step.reason, delay.count());
  asio::steady_timer wait(socket_.get_executor(), delay);
  co_await wait.async_wait(use_nothrow);
  if (!co_await send_error(id, errc::auth_failed, "authentication failed")) co_return false;
  co_return failed_auths_ < ctx_.cfg.max_auth_attempts;
}

asio::awaitable<bool> native_session::finish_login(std::uint64_t id, const std::string& user,
                                                   const std::string& server_final) {
  switch (open_user_login(ctx_, id_, user, peer_addr_, login_, nav_)) {
    case login_refusal::none: break;
    case login_refusal::unknown_user:
      co_return co_await send_error(id, errc::auth_failed, "authentication failed");
    case login_refusal::too_many_sessions:
      co_await send_error(id, errc::too_many_sessions, "too many sessions for this user");
      co_return false;
    case login_refusal::home_unavailable:
      co_return co_await send_error(id, errc::internal, "home directory unavailable");
  }
  phase_ = phase::ready;
  touch();
  json r = proto::reply(id);
  r["data"] = server_final;
  r["user"] = user;
  co_return co_await send(r);
}

}  // namespace ferry::server
