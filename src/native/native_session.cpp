// Native session: framing loop, the op table, hello and SCRAM login.
#include "native/native_session.hpp"

#include <array>
#include <string_view>

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/scram.hpp"
#include "auth/scram_server.hpp"
#include "native/nav_ops.hpp"
#include "native/open_upload.hpp"
#include "proto/limits.hpp"
#include "proto/request.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"

namespace ferry::native {
namespace {

using json = nlohmann::json;
using session::use_nothrow;
using tcp = asio::ip::tcp;
constexpr unsigned char tls_handshake_record = 0x16;
using auth::scram_mechanism;
using auth::scram_plus_mechanism;
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t out_flush_bytes = 256 * 1024;

}  // namespace

struct native_session::op_entry {
  std::string_view name;
  bool needs_login;
  bool takes_body;
  nav_handler nav;  ///< synchronous navigation op, or nullptr
  asio::awaitable<bool> (native_session::*fn)(std::uint64_t, const json&, std::uint64_t);
};

namespace {

using S = native_session;
// Every op of the native protocol, once (docs/protocol.md).
constexpr std::array<native_session::op_entry, 20> ops{{
    {"hello", false, false, nullptr, &S::on_hello},
    {"auth", false, false, nullptr, &S::on_auth},
    {"bye", false, false, nullptr, &S::on_bye},
    {"pwd", true, false, nav::pwd, nullptr},
    {"cd", true, false, nav::cd, nullptr},
    {"ls", true, false, nav::ls, nullptr},
    {"stat", true, false, nav::stat, nullptr},
    {"mkdir", true, false, nav::mkdir, nullptr},
    {"rmdir", true, false, nav::rmdir, nullptr},
    {"rm", true, false, nav::rm, nullptr},
    {"mv", true, false, nav::mv, nullptr},
    {"quota", true, false, nav::quota, nullptr},
    {"get", true, false, nullptr, &S::on_get},
    {"put", true, true, nullptr, &S::on_put},
    {"data", true, true, nullptr, &S::on_data},
    {"commit", true, false, nullptr, &S::on_commit},
    {"hash", true, false, nullptr, &S::on_hash},
    {"exec", true, false, nullptr, &S::on_exec},
    {"exec_input", true, true, nullptr, &S::on_exec_stray},
    {"exec_signal", true, false, nullptr, &S::on_exec_stray},
}};

const native_session::op_entry* find_op(std::string_view name) {
  for (const auto& op : ops)
    if (op.name == name) return &op;
  return nullptr;
}

}  // namespace

native_session::native_session(asio::ip::tcp::socket socket, session::server_context& ctx,
                               std::uint64_t id, std::string peer)
    : session_base(std::move(socket), ctx, id, std::move(peer), "ferry"), rbuf_(new char[read_chunk]) {}

native_session::~native_session() {
  // Uploads still open when the connection ends keep their part files for a
  // resume (empty ones are gone: farewell); the log records them as incomplete.
  for (auto& [id, u] : uploads_) log_transfer(u->up->path(), true, u->up->written(), u->started, false);
}

bool native_session::busy() const { return !reading_ || !uploads_.empty(); }

asio::awaitable<void> native_session::farewell(ending) {
  co_await flush();
  // An upload that never got a byte leaves nothing worth resuming: its empty
  // part file goes (a client opening puts and vanishing leaves no litter).
  co_await fs([&] {
    for (auto& [id, u] : uploads_)
      if (u->up->offset() == 0 && u->up->written() == 0) u->up->abort(true);
  });
}

bool native_session::tls_required() const {
  return ctx_.cfg.tls.required.value_or(ctx_.tls.enabled() && off_loopback());
}

asio::awaitable<bool> native_session::start_stream() {
  // TLS and plain share the port: a TLS record starts with 0x16
  // (handshake), a frame with 0x00 (the top byte of a length <= 65536).
  auto [ec] = co_await socket_.async_wait(tcp::socket::wait_read, use_nothrow);
  if (ec) co_return false;
  unsigned char first = 0;
  if (socket_.receive(asio::buffer(&first, 1), tcp::socket::message_peek, ec) != 1 || ec) co_return false;
  if (first != tls_handshake_record) {
    plain_refused_ = tls_required();
    co_return true;
  }
  const auto tls = ctx_.tls.current();
  if (!tls) {
    spdlog::warn("ferry {}: TLS ClientHello from {}, but TLS is off (no certificate)", id_, peer_);
    co_return false;
  }
  std::string error;
  if (!co_await stream_.handshake(*tls, session::tls_context::make_token(), error)) {
    spdlog::warn("ferry {}: TLS handshake with {} failed: {}", id_, peer_, error);
    co_return false;
  }
  if (!stream_.channel_binding()) {
    // RFC 9266: without the extended master secret a TLS 1.2 exporter does
    // not identify the connection, so a -PLUS login would prove nothing.
    spdlog::warn("ferry {}: {} from {} without the extended master secret: refused", id_, stream_.describe(), peer_);
    co_return false;
  }
  spdlog::info("ferry {}: {}", id_, stream_.describe());
  co_return true;
}

asio::awaitable<void> native_session::serve() {
  if (!co_await start_stream()) co_return;
  for (;;) {
    json req;
    std::uint64_t body = 0;
    for (;;) {
      const auto r = decoder_.next(req, body);
      if (r == proto::frame_decoder::result::error) {
        spdlog::warn("ferry {}: protocol error: {}", id_, proto::describe(decoder_.error()));
        co_await send_error(0, errc::bad_request, std::string(proto::describe(decoder_.error())));
        co_return;
      }
      if (r != proto::frame_decoder::result::frame) break;
      touch();
      if (!co_await dispatch(req, body) || closing_) co_return;
      if (decoder_.body_remaining() > 0 && !co_await discard_body()) co_return;
    }
    if (!co_await flush()) co_return;
    // Graceful shutdown: stop between requests, once no upload is open.
    if (stopping() && uploads_.empty()) co_return;
    reading_ = true;
    auto [ec, n] = co_await stream_.read_some(asio::buffer(rbuf_.get(), read_chunk));
    reading_ = false;
    if (ec) co_return;
    decoder_.feed({rbuf_.get(), n});
  }
}

asio::awaitable<bool> native_session::discard_body() {
  decoder_.take_body(decoder_.buffered());
  while (decoder_.body_remaining() > 0) {
    const auto want = std::min<std::uint64_t>(decoder_.body_remaining(), read_chunk);
    auto [ec, n] = co_await stream_.read_some(asio::buffer(rbuf_.get(), static_cast<std::size_t>(want)));
    if (ec) co_return false;
    decoder_.body_read_externally(n);
  }
  co_return true;
}

asio::awaitable<bool> native_session::send(const json& reply) {
  const auto frame = proto::encode_frame(reply);
  co_return co_await send_encoded(frame);
}

asio::awaitable<bool> native_session::send_encoded(std::string_view frame) {
  out_ += frame;
  if (out_.size() >= out_flush_bytes) co_return co_await flush();
  co_return true;
}

asio::awaitable<bool> native_session::flush() {
  if (out_.empty()) co_return true;
  auto [ec, n] = co_await stream_.write(asio::buffer(out_));
  out_.clear();
  if (out_.capacity() > 4 * out_flush_bytes) out_.shrink_to_fit();
  co_return !ec;
}

asio::awaitable<bool> native_session::send_error(std::uint64_t id, errc e, const std::string& message) {
  co_return co_await send(proto::error_reply(id, e, message));
}

asio::awaitable<bool> native_session::send_failure(std::uint64_t id, errc e, const std::string& subject) {
  co_return co_await send(proto::failure_reply(id, e, subject));
}

asio::awaitable<bool> native_session::dispatch(const json& req, std::uint64_t body) {
  std::uint64_t id = 0;
  std::string why;
  auto env = proto::parse_envelope(req, id, why);
  if (!env) co_return co_await send_error(id, errc::bad_request, why);
  const auto* op = find_op(env->op);
  if (body > 0 && (op == nullptr || !op->takes_body || !logged_in()))
    co_return co_await send_error(id, errc::bad_request, "op \"" + env->op + "\" takes no body");
  if (!greeted_ && env->op != "hello")
    co_return co_await send_error(id, errc::bad_request, "the first frame must be hello");
  // Unknown ops are 400 even before login; known ones need authentication.
  if (op == nullptr) co_return co_await send_error(id, errc::bad_request, "unknown op \"" + env->op + "\"");
  if (op->needs_login && !logged_in()) co_return co_await send_error(id, errc::not_authenticated, "log in first");
  if (op->nav != nullptr) {
    // Navigation touches the filesystem: on a worker (fs_workers.hpp).
    json reply;
    co_await fs([&] { run_nav_op(op->nav, id, req, nav_, reply); });
    if (!co_await send(reply)) co_return false;
    // A big listing goes out frame by frame; send() flushes every 256 KiB,
    // so a client that stops reading holds the rest of it in the directory.
    while (nav_.listing) {
      auto frame = co_await fs([&] { return proto::encode_frame_text(nav::ls_frame_text(id, nav_)); });
      if (!co_await send_encoded(frame)) co_return false;
      touch();
    }
    co_return true;
  }
  co_return co_await (this->*(op->fn))(id, req, body);
}

asio::awaitable<bool> native_session::on_hello(std::uint64_t id, const json& req, std::uint64_t) {
  if (greeted_) co_return co_await send_error(id, errc::bad_request, "hello already done");
  proto::fields f(req);
  const auto version = f.req_u64("version");
  if (!f.ok()) co_return co_await send_error(id, errc::bad_request, f.error());
  if (version != static_cast<std::uint64_t>(limits::protocol_version))
    co_return co_await send_error(id, errc::version_not_supported, "this server speaks version 1");
  if (plain_refused_) {
    spdlog::info("ferry {}: plain session refused (TLS required)", id_);
    co_await send_error(id, errc::tls_required,
                        "this server requires TLS; connect with TLS (ferry does unless told --no-tls)");
    co_return false;
  }
  greeted_ = true;
  json r = proto::reply(id);
  r["version"] = limits::protocol_version;
  r["server"] = "ferryd/0.1";
  // Over TLS both are listed (RFC 5802: a client that sees -PLUS and still
  // picks plain SCRAM with "y" reveals a downgrade); plain SCRAM is then refused.
  r["auth"] = stream_.secure() ? json::array({scram_plus_mechanism, scram_mechanism}) : json::array({scram_mechanism});
  r["hash"] = json::array({"xxh128", "sha256", "md5"});
  co_return co_await send(r);
}

asio::awaitable<bool> native_session::on_bye(std::uint64_t id, const json&, std::uint64_t) {
  closing_ = true;
  co_return co_await send(proto::reply(id));
}

asio::awaitable<bool> native_session::on_auth(std::uint64_t id, const json& req, std::uint64_t) {
  if (logged_in()) co_return co_await send_error(id, errc::bad_request, "already authenticated");
  proto::fields f(req);
  auto mech = f.opt_str("mechanism");
  const auto data = f.str("data");
  if (!f.ok()) co_return co_await send_error(id, errc::bad_request, f.error());

  auth::scram_server::step step;
  if (mech) {
    const bool plus = *mech == scram_plus_mechanism;
    if (!plus && *mech != scram_mechanism)
      co_return co_await send_error(id, errc::bad_request, "unsupported mechanism; use SCRAM-SHA-256");
    if (plus && !stream_.secure())
      co_return co_await send_error(id, errc::bad_request, "SCRAM-SHA-256-PLUS needs TLS");
    if (plus != data.starts_with("p="))
      co_return co_await send_error(id, errc::bad_request, "the mechanism and the GS2 header disagree");
    auto lookup = [this](std::string_view user) -> std::optional<auth::scram_verifier> {
      auto acct = ctx_.accounts->find(user);
      if (!acct) return std::nullopt;
      return auth::parse_verifier(acct->scram);
    };
    scram_ = std::make_unique<auth::scram_server>(lookup, ctx_.secret);
    if (auto cb = stream_.channel_binding()) scram_->bind_channel(std::move(*cb));
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
  const bool more = co_await login_failed(step.user, step.reason);
  // A binding failure does not depend on the password or the user, so
  // saying so reveals nothing, and tells the user what is wrong.
  std::string why = "authentication failed";
  if (step.channel_mismatch)
    why = step.reason == "channel binding mismatch"
              ? "channel binding mismatch: this TLS connection does not end at ferryd "
                "(a TLS-terminating proxy or an attacker is in between)"
              : "channel binding required over TLS: " + step.reason;
  const bool sent = co_await send_error(
      id, step.channel_mismatch ? errc::channel_binding_mismatch : errc::auth_failed, why);
  if (!sent) co_return false;
  co_return more;
}

asio::awaitable<bool> native_session::finish_login(std::uint64_t id, const std::string& user,
                                                   const std::string& server_final) {
  switch (co_await log_in(user)) {
    case session::login_refusal::none: break;
    case session::login_refusal::unknown_user:
      co_return co_await send_error(id, errc::auth_failed, "authentication failed");
    case session::login_refusal::too_many_sessions:
      co_await send_error(id, errc::too_many_sessions, "too many sessions for this user");
      co_return false;
    case session::login_refusal::home_unavailable:
      co_return co_await send_error(id, errc::home_unavailable, "your home directory is unavailable (removed or moved on the server)");
  }
  json r = proto::reply(id);
  r["data"] = server_final;
  r["user"] = user;
  co_return co_await send(r);
}

}  // namespace ferry::native
