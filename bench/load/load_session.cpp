// load_session: one client's connect, login and ops, timed per op.
#include "load/load_session.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/connect.hpp>
#include <asio/ip/address_v4.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "auth/scram.hpp"
#include "auth/scram_client.hpp"
#include "proto/limits.hpp"
#include "transfer/digest.hpp"

namespace ferry::load {
namespace {

using json = nlohmann::json;
constexpr auto use_tuple = asio::experimental::as_tuple(asio::use_awaitable);
constexpr std::size_t data_chunk = 1 << 20;  ///< body of each data frame of a stepped put

std::uint64_t micros_since(load_clock::time_point t) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(load_clock::now() - t).count());
}

std::string string_field(const json& j, const char* name) {
  const auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int status_of(const json& j) {
  const auto it = j.find("status");
  return it != j.end() && it->is_number_integer() ? it->get<int>() : 0;
}

void hash_sink(void* d, const char* p, std::size_t n) { static_cast<transfer::digest*>(d)->update(p, n); }

}  // namespace

load_session::load_session(run_state& st, std::uint32_t index)
    : st_(st),
      index_(index),
      user_(session_user(st.opts, index)),
      dir_(st.opts.work_dir + "/s" + std::to_string(index)),
      seed_(dir_ + "/seed"),
      rng_(index * 2654435761u + 1) {}

void load_session::abort() noexcept {
  if (stream_) stream_->close();
}

void load_session::io_failed(std::string_view what, const std::error_code& ec) {
  std::string kind(what);
  kind += ":io:";
  kind += ec == asio::error::eof ? std::string("eof") : ec.message();
  st_.record_error(std::move(kind));
  if (stream_) stream_->close();
  stream_.reset();
}

bool load_session::check(std::string_view what, const json& rep, int want) {
  const int s = status_of(rep);
  if (s == want) return true;
  std::string kind(what);
  kind += ':';
  const auto err = string_field(rep, "error");
  kind += err.empty() ? "status_" + std::to_string(s) : err;
  st_.record_error(std::move(kind));
  return false;
}

asio::awaitable<std::optional<json>> load_session::call(std::string_view what, json req, std::string_view body) {
  if (!stream_) co_return std::nullopt;
  req["id"] = next_id_++;
  if (!body.empty()) req["body"] = body.size();
  if (auto ec = co_await stream_->send_frame(req, body)) {
    io_failed(what, ec);
    co_return std::nullopt;
  }
  json rep;
  std::uint64_t n = 0;
  if (auto ec = co_await stream_->receive(rep, n)) {
    io_failed(what, ec);
    co_return std::nullopt;
  }
  co_return rep;
}

asio::awaitable<bool> load_session::connect() {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::socket sock(ex);
  std::error_code ec;
  const auto addr = asio::ip::make_address(st_.opts.host, ec);
  if (ec) {
    st_.record_error("connect:bad_address");
    co_return false;
  }
  const asio::ip::tcp::endpoint server(addr, st_.opts.port);
  sock.open(server.protocol(), ec);
  if (!ec && st_.opts.source_ips > 0) {
    // Spread over 127.0.1.x so per-address caps and the ephemeral ports of
    // one address do not bound the run.
    const auto host = 0x7f000101u + index_ % st_.opts.source_ips;
    sock.bind(asio::ip::tcp::endpoint(asio::ip::address_v4(host), 0), ec);
  }
  if (ec) {
    st_.record_error("connect:" + ec.message());
    co_return false;
  }
  auto [cec] = co_await sock.async_connect(server, use_tuple);
  if (cec) {
    st_.record_error("connect:" + cec.message());
    co_return false;
  }
  sock.set_option(asio::ip::tcp::no_delay(true), ec);
  stream_ = std::make_unique<frame_stream>(std::move(sock));
  if (st_.use_tls) {
    if (auto tec = co_await stream_->start_tls(st_.ssl_ctx)) {
      st_.record_error("tls:" + tec.message());
      stream_.reset();
      co_return false;
    }
  }
  co_return true;
}

asio::awaitable<bool> load_session::authenticate() {
  // (Here and below every request is built before its co_await: GCC 12
  // rejects braced JSON literals holding string literals inside a co_await
  // expression, "array used as initializer".)
  json hello_req{{"op", "hello"}, {"version", limits::protocol_version}, {"client", std::string("ferry-load/0.1")}};
  auto hello = co_await call("hello", std::move(hello_req));
  if (!hello || !check("hello", *hello, 200)) co_return false;
  bool plus = false;
  if (const auto it = hello->find("auth"); it != hello->end() && it->is_array()) {
    for (const auto& m : *it) plus = plus || (m.is_string() && m.get<std::string>() == auth::scram_plus_mechanism);
  }
  const auto binding = stream_->channel_binding();
  plus = plus && binding.has_value();
  auth::scram_client scram(user_, st_.password, {}, binding);
  if (binding && !plus) scram.server_lacks_binding();
  const auto cached = st_.keys.find(user_);
  if (st_.opts.key_cache && cached != st_.keys.end()) scram.use_key(cached->second);
  const std::string_view mech = plus ? auth::scram_plus_mechanism : auth::scram_mechanism;
  json first_req{{"op", "auth"}, {"mechanism", std::string(mech)}, {"data", scram.client_first()}};
  auto first = co_await call("auth", std::move(first_req));
  if (!first || !check("auth", *first, 100)) co_return false;
  std::string why;
  const auto final_msg = scram.client_final(string_field(*first, "data"), why);
  if (!final_msg) {
    st_.record_error("auth:client:" + why);
    co_return false;
  }
  json second_req{{"op", "auth"}, {"data", *final_msg}};
  auto second = co_await call("auth", std::move(second_req));
  if (!second || !check("auth", *second, 200)) co_return false;
  if (!scram.verify_server(string_field(*second, "data"))) {
    st_.record_error("auth:bad_server_signature");
    co_return false;
  }
  if (st_.opts.key_cache && cached == st_.keys.end()) st_.keys.emplace(user_, scram.key());
  co_return true;
}

asio::awaitable<bool> load_session::login(bool timed) {
  co_await st_.acquire_login();
  const auto t = load_clock::now();
  bool ok = co_await connect();
  if (ok) ok = co_await authenticate();
  st_.release_login();
  if (ok && timed) st_.login_stats.add(micros_since(t));
  if (!ok && stream_) stream_->close();
  if (!ok) stream_.reset();
  co_return ok;
}

asio::awaitable<void> load_session::bye() {
  if (!stream_) co_return;
  json req{{"op", "bye"}};
  auto rep = co_await call("bye", std::move(req));
  if (rep) check("bye", *rep, 200);
  if (stream_) stream_->close();
  stream_.reset();
}

asio::awaitable<bool> load_session::make_dir(const std::string& path) {
  json req{{"op", "mkdir"}, {"path", path}, {"parents", true}};
  auto rep = co_await call("mkdir", std::move(req));
  co_return rep && check("mkdir", *rep, 201);
}

asio::awaitable<void> load_session::run() {
  switch (st_.opts.mode) {
    case load_mode::mix: co_await run_mix(); break;
    case load_mode::logins_only: co_await run_logins(); break;
    case load_mode::idle: co_await run_idle(); break;
  }
}

asio::awaitable<void> load_session::run_mix() {
  bool ok = co_await login(true);
  if (ok) ++st_.logged_in;
  // Setup, untimed: the session's directory and its seed file.
  ok = ok && co_await make_dir(dir_);
  if (ok && st_.opts.get_path.empty()) ok = co_await op_put(seed_);
  st_.arrive();
  co_await st_.wait_release();
  if (ok) {
    asio::steady_timer think(st_.io);
    std::uniform_int_distribution<std::uint32_t> draw;
    while ((st_.opts.ops_per_session == 0 || my_ops_ < st_.opts.ops_per_session) && st_.take_op()) {
      ++my_ops_;
      if (!co_await do_op(st_.opts.mix.pick(draw(rng_)))) break;
      if (st_.opts.think_ms > 0) {
        think.expires_after(std::chrono::microseconds(static_cast<std::int64_t>(st_.opts.think_ms * 1000)));
        co_await think.async_wait(use_tuple);
      }
    }
    co_await bye();
  }
}

asio::awaitable<void> load_session::run_logins() {
  co_await st_.wait_release();
  while ((st_.opts.ops_per_session == 0 || my_ops_ < st_.opts.ops_per_session) && st_.take_op()) {
    ++my_ops_;
    // (No `continue` here: GCC 12 emits a trap for it in this coroutine loop.)
    const bool ok = co_await login(true);
    if (ok) {
      co_await bye();
      ++st_.ops_done;
    }
  }
}

asio::awaitable<void> load_session::run_idle() {
  const bool ok = co_await login(false);
  if (ok) ++st_.logged_in;
  st_.arrive();
  co_await st_.wait_release();
  if (ok) co_await bye();
}

asio::awaitable<bool> load_session::do_op(op_kind k) {
  const auto t = load_clock::now();
  bool ok = false;
  switch (k) {
    case op_kind::get: ok = co_await op_get(st_.opts.get_path.empty() ? seed_ : st_.opts.get_path); break;
    case op_kind::put: {
      auto name = next_file_name();
      ok = co_await op_put(name);
      if (ok) files_.push_back(std::move(name));
      break;
    }
    case op_kind::ls: ok = co_await op_ls(st_.opts.ls_path.empty() ? dir_ : st_.opts.ls_path); break;
    case op_kind::rm: ok = co_await op_rm(); break;
    case op_kind::stat: ok = co_await op_stat(st_.opts.get_path.empty() ? seed_ : st_.opts.get_path); break;
  }
  if (ok) {
    st_.op_stats[static_cast<std::size_t>(k)].add(micros_since(t));
    ++st_.ops_done;
  }
  co_return static_cast<bool>(stream_);  // a server error does not end the session; an I/O error does
}

std::string load_session::next_file_name() { return dir_ + "/f" + std::to_string(files_made_++); }

asio::awaitable<bool> load_session::op_get(const std::string& path) {
  json req{{"op", "get"}, {"path", path}};
  auto rep = co_await call("get", std::move(req));
  if (!rep || !check("get", *rep, 200)) co_return false;
  std::unique_ptr<transfer::digest> d;
  if (st_.opts.verify) d = transfer::digest::make(transfer::default_algo);
  std::uint64_t got = 0;
  if (auto ec = co_await stream_->read_body(got, d ? hash_sink : nullptr, d.get())) {
    io_failed("get", ec);
    co_return false;
  }
  st_.bytes_down += got;
  json trailer;
  std::uint64_t n = 0;
  if (auto ec = co_await stream_->receive(trailer, n)) {
    io_failed("get", ec);
    co_return false;
  }
  if (!check("get", trailer, 200)) co_return false;
  if (d && d->hex() != string_field(trailer, "digest")) {
    st_.record_error("get:digest_mismatch");
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> load_session::op_put(const std::string& path) {
  const std::string& body = st_.content;
  if (body.size() <= limits::max_inline_body) {
    json req{{"op", "put"}, {"path", path}, {"size", body.size()},
                                         {"algo", transfer::default_algo}, {"digest", st_.content_digest}};
    auto rep = co_await call("put", std::move(req),
                             body);
    if (!rep || !check("put", *rep, 201)) co_return false;
    st_.bytes_up += body.size();
    co_return true;
  }
  // Stepped: put (offset), data frames, commit; pipelined after the offset.
  json req{{"op", "put"}, {"path", path}, {"size", body.size()}, {"resume", false}};
  auto rep = co_await call("put", std::move(req));
  if (!rep || !check("put", *rep, 200)) co_return false;
  const auto id = next_id_ - 1;
  for (std::size_t off = 0; off < body.size(); off += data_chunk) {
    const auto piece = std::string_view(body).substr(off, data_chunk);
    const json data{{"op", "data"}, {"id", id}, {"body", piece.size()}};
    if (auto ec = co_await stream_->send_frame(data, piece)) {
      io_failed("put", ec);
      co_return false;
    }
  }
  const json commit{{"op", "commit"}, {"id", id}, {"algo", transfer::default_algo}, {"digest", st_.content_digest}};
  if (auto ec = co_await stream_->send_frame(commit)) {
    io_failed("put", ec);
    co_return false;
  }
  json done;
  std::uint64_t n = 0;
  if (auto ec = co_await stream_->receive(done, n)) {
    io_failed("put", ec);
    co_return false;
  }
  if (!check("put", done, 201)) co_return false;
  st_.bytes_up += body.size();
  co_return true;
}

asio::awaitable<bool> load_session::op_ls(const std::string& path) {
  const auto t = load_clock::now();
  json req{{"op", "ls"}, {"path", path}};
  auto rep = co_await call("ls", std::move(req));
  if (!rep || !check("ls", *rep, 200)) co_return false;
  st_.ls_first_stats.add(micros_since(t));
  while (true) {
    if (const auto it = rep->find("entries"); it != rep->end() && it->is_array()) st_.ls_entries += it->size();
    const auto more = rep->find("more");
    if (more == rep->end() || !more->is_boolean() || !more->get<bool>()) break;
    std::uint64_t n = 0;
    if (auto ec = co_await stream_->receive(*rep, n)) {
      io_failed("ls", ec);
      co_return false;
    }
    if (!check("ls", *rep, 200)) co_return false;
  }
  co_return true;
}

asio::awaitable<bool> load_session::op_rm() {
  if (files_.empty()) {  // nothing of ours left: put one, so rm always removes a file
    auto name = next_file_name();
    if (!co_await op_put(name)) co_return false;
    files_.push_back(std::move(name));
  }
  const auto path = files_.front();
  files_.pop_front();
  json req{{"op", "rm"}, {"path", path}};
  auto rep = co_await call("rm", std::move(req));
  co_return rep && check("rm", *rep, 200);
}

asio::awaitable<bool> load_session::op_stat(const std::string& path) {
  json req{{"op", "stat"}, {"path", path}};
  auto rep = co_await call("stat", std::move(req));
  co_return rep && check("stat", *rep, 200);
}

}  // namespace ferry::load
