// Native protocol transfer ops: get, put (offset step and inline), data,
// commit, hash. The file logic is socket-free (transfer/upload, download);
// this file moves bytes between it and the socket, paced by the token buckets.
#include <algorithm>
#include <memory>

#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "native/open_upload.hpp"
#include "proto/limits.hpp"
#include "proto/request.hpp"
#include "session/fs_workers.hpp"
#include "session/server_context.hpp"
#include "session/stream_io.hpp"
#include "session/use_nothrow.hpp"
#include "session/user_state.hpp"
#include "transfer/digest.hpp"
#include "vfs/digest_cache.hpp"
#include "vfs/download_file.hpp"
#include "vfs/file_io.hpp"
#include "vfs/jail.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::native {
namespace {

using json = nlohmann::json;
using session::use_nothrow;

/// Files up to this size are answered from the reply queue in one write, so a
/// pipelined stream of small gets costs one syscall per batch, not per file.
constexpr std::uint64_t small_file = 256 * 1024;
/// Hashing a resumed prefix yields to other sessions after each slice.
constexpr std::uint64_t hash_slice = 8u << 20;

/// Resolves a path field; nullopt (with `why`) when missing or malformed.
std::optional<std::string> resolve_field(proto::fields& f, const std::string& cwd, std::string& why) {
  const auto raw = f.str("path");
  if (!f.ok()) {
    why = f.error();
    return std::nullopt;
  }
  return vfs::resolve(cwd, raw, why);
}

std::string algo_field(proto::fields& f, std::string& why) {
  auto a = f.opt_str("algo").value_or(std::string(transfer::default_algo));
  if (f.ok() && !transfer::known_algo(a)) why = "unknown algo \"" + a + "\"; use xxh128, sha256 or md5";
  return a;
}

/// What a get or a hash names: a file to read and a digest algorithm.
struct file_request {
  std::string path;
  std::string algo;
  std::uint64_t offset = 0;  ///< get only
  vfs::download_file file;
};

/// Reads the fields a get or a hash shares, resolves the path against `cwd`
/// and opens the file in the jail. On failure `error` holds the reply.
std::optional<file_request> open_requested_file(std::uint64_t id, const json& req, const std::string& cwd,
                                                const vfs::jail& jail, bool wants_offset, json& error) {
  proto::fields f(req);
  std::string why;
  const auto path = resolve_field(f, cwd, why);
  const auto offset = wants_offset ? f.u64("offset", 0) : 0;
  auto algo = algo_field(f, why);
  if (!f.ok()) why = f.error();
  if (!path || !why.empty()) {
    error = proto::error_reply(id, errc::bad_request, why);
    return std::nullopt;
  }
  file_request r{*path, std::move(algo), offset, {}};
  if (auto e = vfs::open_download(jail, r.path, r.file); e != errc::ok) {
    error = proto::failure_reply(id, e, r.path);
    return std::nullopt;
  }
  return r;
}

}  // namespace

asio::awaitable<bool> native_session::on_get(std::uint64_t id, const json& req, std::uint64_t) {
  json error;
  std::optional<file_request> r;
  std::optional<std::string> cached;
  // One trip to a worker: the open and the kept digest.
  co_await fs([&] {
    r = open_requested_file(id, req, nav_.cwd, *login_.jail, true, error);
    if (r && r->offset <= r->file.size) cached = vfs::load_cached_digest(r->file.fd.get(), r->algo, r->file.st);
  });
  if (!r) co_return co_await send(error);
  const auto& path = r->path;
  const auto& algo = r->algo;
  const auto offset = r->offset;
  auto& file = r->file;
  if (offset > file.size) co_return co_await send_failure(id, errc::offset_beyond_end, path);

  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<transfer::digest> d;
  if (!cached) {
    d = transfer::digest::make(algo);
    // The trailer covers the whole file, skipped prefix included.
    if (!co_await session::hash_range(lane(), file.fd.get(), 0, offset, *d, [this] { touch(); }))
      co_return co_await send_error(id, errc::internal, "cannot read " + path);
  }
  const std::uint64_t n = file.size - offset;
  json head = proto::reply(id);
  head["size"] = file.size;
  head["offset"] = offset;
  head["mtime"] = static_cast<std::int64_t>(file.st.st_mtim.tv_sec);
  head["body"] = n;
  out_ += proto::encode_frame(head);
  transfer_begin(path, false, file.size, offset);

  const bool paced = pacing().active();
  bool ok = true;
  std::uint64_t sent = 0;
  if (n <= small_file && !paced) {
    // Small file: body goes into the reply queue with its header and trailer.
    const auto at = out_.size();
    out_.resize(at + n);
    ok = co_await session::read_file_at(lane(), file.fd.get(), out_.data() + at, static_cast<std::size_t>(n), offset);
    if (ok && d) d->update(out_.data() + at, static_cast<std::size_t>(n));
    if (ok) sent = n;
    activity().set_done(sent);
  } else {
    ok = co_await flush() &&
         co_await send_file(lane(), stream_, file.fd.get(), offset, n, d.get(), pacing(),
                            ctx_.paths.pick(d != nullptr, false),
                            [this, &sent] {
                              touch();
                              activity().set_done(sent);
                            },
                            sent);
  }
  if (!ok) {
    // The header promised n bytes; a short body can only be signalled by
    // closing the connection. The client keeps its part file.
    spdlog::warn("ferry {}: get {} aborted", id_, path);
    log_transfer(path, false, sent, started, false);
    out_.clear();
    co_return false;
  }
  const std::string hex = cached ? *cached : d->hex();
  const bool same = co_await fs([&] {
    if (!vfs::unchanged(file.fd.get(), file.st)) return false;
    if (!cached) vfs::store_cached_digest(file.fd.get(), algo, file.st, hex);
    return true;
  });
  if (!same) {
    // Rewritten while it was sent: the bytes may mix two versions, and a
    // digest of what was sent would vouch for the mix. The client drops it.
    spdlog::warn("ferry {}: {} changed while it was being sent", id_, path);
    log_transfer(path, false, n, started, false, errc::file_changed);
    co_return co_await send_failure(id, errc::file_changed, path);
  }
  log_transfer(path, false, n, started, true);
  json trailer = proto::reply(id);
  trailer["algo"] = algo;
  trailer["digest"] = hex;
  co_return co_await send(trailer);
}

asio::awaitable<bool> native_session::on_hash(std::uint64_t id, const json& req, std::uint64_t) {
  json error;
  std::optional<file_request> r;
  co_await fs([&] { r = open_requested_file(id, req, nav_.cwd, *login_.jail, false, error); });
  if (!r) co_return co_await send(error);
  const auto hex = co_await session::file_digest(lane(), r->file, r->algo, [this] { touch(); });
  if (!hex) co_return co_await send_error(id, errc::internal, "cannot read " + r->path);
  json reply = proto::reply(id);
  reply["algo"] = r->algo;
  reply["digest"] = *hex;
  co_return co_await send(reply);
}

asio::awaitable<bool> native_session::receive_body(transfer::upload* up, errc& failure) {
  session::write_behind disk(lane(), up, failure);
  session::low_watermark lowat(stream_);
  while (decoder_.body_remaining() > 0) {
    std::string_view chunk;
    if (decoder_.buffered() > 0) {
      // Already read with the header; rbuf_ is not read into again until
      // the body is done, so it can wait in the queue.
      co_await disk.flush();
      chunk = decoder_.take_body(decoder_.buffered());
    } else {
      auto& buf = disk.next_buffer();
      const auto want = static_cast<std::size_t>(
          std::min<std::uint64_t>(decoder_.body_remaining(), buf.size()));
      lowat.set(want);  // never more than the body still owes
      auto [ec, n] = co_await disk.read(stream_.read_some(asio::buffer(buf.data(), want)));
      if (ec) co_return false;
      decoder_.body_read_externally(n);
      chunk = {buf.data(), n};
    }
    touch();
    activity().add(chunk.size());
    disk.queue(chunk);
    if (pacing().active()) co_await pacing().wait(chunk.size());
  }
  co_await disk.flush();
  co_return true;
}

asio::awaitable<bool> native_session::on_put(std::uint64_t id, const json& req, std::uint64_t body) {
  proto::fields f(req);
  std::string why;
  const auto path = resolve_field(f, nav_.cwd, why);
  const auto size = f.req_u64("size");
  const auto algo = algo_field(f, why);
  const bool resume = f.boolean("resume", true);
  const auto digest = f.opt_str("digest");
  const auto mtime = f.opt_u64("mtime", limits::max_mtime);
  if (!f.ok()) why = f.error();
  if (!path || !why.empty()) co_return co_await send_error(id, errc::bad_request, why);
  const bool inline_put = digest.has_value();
  if (inline_put && (body != size || size > limits::max_inline_body))
    co_return co_await send_error(id, errc::bad_request,
                                  "an inline put carries its whole file (at most 1 MiB) as body");
  if (!inline_put && body > 0)
    co_return co_await send_error(id, errc::bad_request, "a put with a body needs its digest");
  if (uploads_.contains(id))
    co_return co_await send_error(id, errc::bad_request, "an upload with this id is already open");
  const unsigned session_cap = ctx_.cfg.max_uploads_per_session;
  if (session_cap != 0 && uploads_.size() >= session_cap)
    co_return co_await send_failure(id, errc::too_many_uploads, "at most " + std::to_string(session_cap) + " per connection");
  auto slot = session::upload_slot::take(ctx_.open_uploads, ctx_.open_uploads_cap, login_.state->open_uploads,
                                         ctx_.cfg.max_uploads_per_user);
  if (!slot) co_return co_await send_failure(id, errc::too_many_uploads, "the user's or the server's limit is reached");

  transfer::upload_request ur;
  ur.path = *path;
  ur.size = size;
  ur.algo = algo;
  ur.resume = resume && !inline_put;
  if (mtime) ur.mtime = static_cast<std::int64_t>(*mtime);
  std::unique_ptr<transfer::upload> up;
  const auto started = std::chrono::steady_clock::now();
  // A small file whose body came with its header (pipelined small files do)
  // is written and committed in the same trip to a worker that opens it.
  const bool whole = inline_put && decoder_.buffered() >= body;
  const auto bytes = whole ? decoder_.take_body(body) : std::string_view();
  errc failure = errc::ok;
  const auto finish_inline = [&] {
    std::string actual;
    if (failure == errc::ok) failure = up->commit(*digest, actual);
    else up->abort(true);  // an inline put cannot be resumed: drop its part
  };
  const auto begun = co_await fs([&] {
    const auto e = transfer::upload::begin(*login_.jail, session::fresh_quota(nav_), *ctx_.locks, ur, up);
    if (e == errc::ok && whole) {
      failure = up->write(bytes.data(), bytes.size());
      finish_inline();
    }
    return e;
  });
  if (begun != errc::ok) {
    // A refusal for want of room is a transfer the user tried: logged.
    if (is_space_refusal(begun)) log_transfer(*path, true, 0, started, false, begun);
    co_return co_await send_failure(id, begun, *path);
  }
  while (up->prefix_left() > 0) {
    if (!co_await fs([&] { return up->hash_prefix(hash_slice); }))
      co_return co_await send_error(id, errc::internal, "cannot read the part file of " + *path);
    touch();
  }
  if (!inline_put) {
    auto ou = std::make_unique<open_upload>(open_upload{std::move(*slot), std::move(up), started});
    json r = proto::reply(id);
    r["offset"] = ou->up->offset();
    uploads_.emplace(id, std::move(ou));
    co_return co_await send(r);
  }
  if (!whole) {
    transfer_begin(*path, true, size, 0);
    if (!co_await receive_body(up.get(), failure)) {
      // Cut mid-body: an inline put is never resumed, so its part goes too.
      co_await fs([&] { up->abort(true); });
      log_transfer(*path, true, up->written(), started, false);
      co_return false;
    }
    co_await fs(finish_inline);
  }
  log_transfer(*path, true, up->written(), started, failure == errc::ok, failure);
  if (failure != errc::ok) co_return co_await send_failure(id, failure, *path);
  co_return co_await send(proto::reply(id, 201));
}

asio::awaitable<bool> native_session::on_data(std::uint64_t id, const json&, std::uint64_t) {
  auto it = uploads_.find(id);
  errc ignored = errc::ok;
  if (it == uploads_.end()) {
    if (!co_await receive_body(nullptr, ignored)) co_return false;
    co_return co_await send_error(id, errc::bad_request, "no open upload with this id");
  }
  const auto& up = *it->second->up;
  transfer_begin(up.path(), true, up.offset() + up.written() + decoder_.body_remaining(), up.offset() + up.written());
  co_return co_await receive_body(it->second->up.get(), it->second->failure);
}

asio::awaitable<bool> native_session::on_commit(std::uint64_t id, const json& req, std::uint64_t) {
  proto::fields f(req);
  const auto digest = f.str("digest");
  std::string why;
  const auto algo = algo_field(f, why);
  auto it = uploads_.find(id);
  if (it == uploads_.end()) co_return co_await send_error(id, errc::bad_request, "no open upload with this id");
  auto ou = std::move(it->second);
  uploads_.erase(it);
  auto& up = *ou->up;
  if (!f.ok() || !why.empty()) {
    log_transfer(up.path(), true, up.written(), ou->started, false, errc::bad_request);
    co_return co_await send_error(id, errc::bad_request, f.ok() ? why : f.error());
  }
  errc e = ou->failure;
  std::string actual;
  if (e == errc::ok) e = co_await fs([&] { return up.commit(digest, actual); });
  log_transfer(up.path(), true, up.written(), ou->started, e == errc::ok, e);
  if (e == errc::ok) co_return co_await send(proto::reply(id, 201));
  co_return co_await send_failure(id, e, up.path());
}

}  // namespace ferry::native
