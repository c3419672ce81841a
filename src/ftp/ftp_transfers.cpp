// The FTP commands that set up or use a data connection: PASV, EPSV, PORT,
// EPRT, LIST, NLST, MLSD, RETR — and ABOR while one runs. Uploads (STOR,
// APPE, STOU) are ftp_uploads.cpp's; the connection itself is data_channel's.
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "ftp/address.hpp"
#include "ftp/listing.hpp"
#include "ftp/name_codec.hpp"
#include "ftp/reply.hpp"
#include "ftp/ftp_session.hpp"
#include "session/server_context.hpp"
#include "session/stream_io.hpp"
#include "session/use_nothrow.hpp"
#include "vfs/digest_cache.hpp"
#include "vfs/download_file.hpp"
#include "vfs/dir_listing.hpp"
#include "vfs/jail.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::ftp {
namespace {

using tcp = asio::ip::tcp;
using session::use_nothrow;

}  // namespace

asio::awaitable<bool> ftp_session::open_passive(bool extended) {
  data_.reset();
  std::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  if (ec) co_return co_await reply(425, "Cannot open passive connection."), false;
  if (!extended && !local.address().is_v4()) {
    co_await reply(425, "PASV needs IPv4; use EPSV.");
    co_return false;
  }
  const auto port = data_.listen(local.address(), ctx_.cfg.ftp.pasv_min, ctx_.cfg.ftp.pasv_max);
  if (!port) {
    spdlog::warn("ftp {}: no passive port available", id_);
    co_await reply(425, "No passive port available.");
    co_return false;
  }
  if (extended) co_await reply(229, epsv_text(*port));
  else co_await reply(227, pasv_text(local.address().to_string(), *port));
  co_return true;
}

asio::awaitable<void> ftp_session::cmd_pasv(const std::string&) {
  if (epsv_all_) co_return (void)co_await reply(500, "PASV not allowed after EPSV ALL.");
  co_await open_passive(false);
}

asio::awaitable<void> ftp_session::cmd_epsv(const std::string& arg) {
  if (arg == "ALL" || arg == "all") {
    epsv_all_ = true;
    co_return (void)co_await reply(200, "EPSV ALL ok.");
  }
  std::error_code ec;
  const auto local = socket_.local_endpoint(ec);
  if (!arg.empty() && arg != (local.address().is_v4() ? "1" : "2"))
    co_return (void)co_await reply(522, local.address().is_v4() ? "Use (1)" : "Use (2)");
  co_await open_passive(true);
}

asio::awaitable<void> ftp_session::cmd_port(const std::string& arg) {
  co_await set_active_target(parse_port_arg(arg));
}

asio::awaitable<void> ftp_session::cmd_eprt(const std::string& arg) {
  co_await set_active_target(parse_eprt_arg(arg));
}

asio::awaitable<void> ftp_session::set_active_target(std::optional<host_port> hp) {
  if (epsv_all_) co_return (void)co_await reply(500, verb_ + " not allowed after EPSV ALL.");
  if (!ctx_.cfg.ftp.active) co_return (void)co_await reply(502, "Active mode is disabled; use PASV or EPSV.");
  std::error_code ec;
  const auto peer = socket_.remote_endpoint(ec);
  if (!hp || ec) co_return (void)co_await reply(501, "Illegal " + verb_ + " command.");
  // SECURITY: never to a privileged port, not even the client's own (as
  // vsftpd): the server would talk to the service there (SMTP, an rsh
  // trusting port 20, ...) with bytes the client chose.
  if (hp->port < first_unprivileged_port) {
    spdlog::warn("ftp {}: refused {} to privileged port {}", id_, verb_, hp->port);
    co_return (void)co_await reply(500, "Illegal " + verb_ + " command: privileged port.");
  }
  const auto target = asio::ip::make_address(hp->host, ec);
  if (ec || !same_host(target, peer.address())) {
    spdlog::warn("ftp {}: refused {} to {} (bounce attempt?)", id_, verb_, hp->host);
    co_return (void)co_await reply(500, "Illegal " + verb_ + " command: only your own address is allowed.");
  }
  data_.connect_to(tcp::endpoint(target, hp->port));
  co_await reply(200, verb_ + " command successful. Consider using PASV.");
}

asio::awaitable<bool> ftp_session::data_ready() {
  if (!data_.ready()) co_return co_await reply(425, "Use PORT or PASV first."), false;
  if (!prot_private_ && tls_required()) {
    // SECURITY: where TLS is required, file data is never sent in clear.
    data_.reset();
    co_return co_await reply(522, "Data connections must be encrypted: send PBSZ 0 and PROT P."), false;
  }
  co_return true;
}

asio::awaitable<std::optional<session::byte_stream>> ftp_session::open_data() {
  using namespace asio::experimental::awaitable_operators;
  std::error_code ec;
  const auto peer = socket_.remote_endpoint(ec);
  if (ec) {
    data_.reset();
    data_refusal_ = {425, "Failed to establish connection."};
    co_return std::nullopt;
  }
  auto sock = co_await data_.open(peer.address(), ctx_.cfg.ftp.data_timeout, id_);
  if (!sock) {
    data_refusal_ = {425, "Failed to establish connection."};
    co_return std::nullopt;
  }
  session::byte_stream data(std::move(*sock));
  if (!prot_private_) co_return data;
  std::string error;
  asio::steady_timer timer(socket_.get_executor(), ctx_.cfg.ftp.data_timeout);
  auto r = co_await (data.handshake(*tls_, tls_token_, error, false) || timer.async_wait(use_nothrow));
  if (r.index() == 1) error = "timed out";
  if (r.index() == 1 || !std::get<0>(r)) {
    spdlog::warn("ftp {}: data connection TLS handshake failed: {}", id_, error);
    close_data(data);
    data_refusal_ = {425, "TLS handshake on the data connection failed."};
    co_return std::nullopt;
  }
  // SECURITY: a data connection that did not resume this control
  // connection's TLS session may come from a third party that won the race
  // for the passive port (vsftpd's require_ssl_reuse).
  if (ctx_.cfg.ftp.require_tls_session_reuse && !data.resumed_with(tls_token_)) {
    spdlog::warn("ftp {}: refused a data connection that did not resume the control connection's TLS session",
                 id_);
    close_data(data);
    data_refusal_ = {522, "Data connection must resume the control connection's TLS session."};
    co_return std::nullopt;
  }
  co_return data;
}

asio::awaitable<void> ftp_session::refuse_data() {
  const auto [code, text] = std::exchange(data_refusal_, {425, "Failed to establish connection."});
  co_await reply(code, text);
}

asio::awaitable<void> ftp_session::watch_control() {
  for (;;) {
    std::string line;
    for (;;) {
      const auto r = lines_.next(line);
      if (r == line_splitter::result::need_more) break;
      if (r == line_splitter::result::too_long) line.clear();  // answered with 500 after the transfer
      auto c = parse_command(line);
      if (c && c->verb == "ABOR") {
        aborted_ = true;
        co_return;
      }
      // SECURITY: only a few lines are kept (issue 11). Past that, reading
      // goes on only to find ABOR; the session ends with 421 after the
      // transfer, so memory stays bounded however much the client sends.
      const bool was_full = queued_.overflowed();
      if (!queued_.push(std::move(line)) && !was_full)
        spdlog::warn("ftp {}: too many commands during a transfer; dropping them, closing after it", id_);
    }
    auto [ec, n] = co_await stream_.read_some(asio::buffer(rbuf_));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // The control connection is gone, but the transfer goes on to its own
      // end: an upload keeps every byte the client sent in its part file, for
      // a resume (nothing is committed without a control connection).
      control_gone_ = true;
      asio::steady_timer forever(stream_.socket().get_executor(), asio::steady_timer::time_point::max());
      co_await forever.async_wait(use_nothrow);
      co_return;
    }
    lines_.feed({rbuf_.data(), n});
  }
}

asio::awaitable<bool> ftp_session::with_abort_watch(asio::awaitable<bool> body) {
  using namespace asio::experimental::awaitable_operators;
  aborted_ = false;
  auto r = co_await (std::move(body) || watch_control());
  if (r.index() == 0) co_return std::get<0>(r);
  co_return false;
}

asio::awaitable<bool> ftp_session::ended_early() {
  if (control_gone_) {
    closing_ = true;  // nobody is left to answer
    co_return true;
  }
  if (aborted_) {
    co_await reply(426, "Connection closed; transfer aborted.");
    co_await reply(226, "ABOR successful.");
    co_return true;
  }
  co_return false;
}

asio::awaitable<void> ftp_session::send_listing(vfs::dir_listing& entries, listing kind) {
  if (!co_await data_ready()) co_return;
  co_await reply(150, "Here comes the directory listing.");
  auto data = co_await open_data();
  if (!data) co_return co_await refuse_data();
  // Formatted and written in slices of ~64 KiB, so a directory of 100,000
  // entries never sits in memory as text.
  auto send = [&](session::byte_stream& s) -> asio::awaitable<bool> {
    std::string text;
    const auto now = std::time(nullptr);
    while (!entries.done()) {
      auto batch = co_await fs([&] { return entries.next(256); });
      for (auto& e : batch) {
        // SECURITY: CR/LF in a name (made behind the server's back: resolve
        // refuses them) would forge listing lines; no control characters.
        if (vfs::find_control_char(e.name) != std::string::npos) {
          spdlog::warn("ftp {}: skipping a name with a control character", id_);
          continue;
        }
        auto name = codec_->to_client(e.name);
        if (!name) {
          // One unrepresentable name must not break the whole listing.
          spdlog::warn("ftp {}: skipping a name not representable in {}", id_, ctx_.cfg.ftp.encoding);
          continue;
        }
        e.name = *name;
        switch (kind) {
          case listing::long_form: text += list_line(e, now); break;
          case listing::names: text += e.name; break;
          case listing::facts: text += mlsx_line(e, e.name); break;
        }
        text += "\r\n";
      }
      if (text.size() >= (64 << 10) || (entries.done() && !text.empty())) {
        auto [ec, n] = co_await s.write(asio::buffer(text));
        if (ec) co_return false;
        text.clear();
        touch();
      }
    }
    co_return true;
  };
  const bool ok = co_await with_abort_watch(send(*data));
  close_data(*data);
  if (co_await ended_early()) co_return;
  co_await reply(ok ? 226 : 426, ok ? "Directory send OK." : "Failure writing network stream.");
}

asio::awaitable<void> ftp_session::list_cmd(const std::string& raw, listing kind) {
  // Clients send ls options ("LIST -la dir"); they are accepted and ignored.
  std::string arg = raw;
  while (kind != listing::facts && arg.starts_with("-")) {
    const auto sp = arg.find(' ');
    arg = sp == std::string::npos ? std::string() : arg.substr(sp + 1);
  }
  std::string path = nav_.cwd;
  if (!arg.empty()) {
    auto p = co_await path_arg(arg);
    if (!p) co_return;
    path = *p;
  }
  vfs::dir_listing entries;
  // MLSD lists directories only (RFC 3659 7.1: MLST is for one object). A
  // missing path or a file is 550 from the errc table, as for every other
  // command: sync clients (lftp mirror, FileZilla) create a directory only
  // after MLSD of it answered 550, and give up on a 501 (a syntax error).
  const auto e = co_await fs([&] {
    if (kind == listing::facts)
      if (const auto d = login_.jail->check_dir(path); d != errc::ok) return d;
    return login_.jail->open_listing(path, entries);
  });
  if (e != errc::ok) co_return (void)co_await reply_error(e, "Failed to list directory");
  co_await send_listing(entries, kind);
}

asio::awaitable<void> ftp_session::cmd_list(const std::string& arg) { co_await list_cmd(arg, listing::long_form); }
asio::awaitable<void> ftp_session::cmd_nlst(const std::string& arg) { co_await list_cmd(arg, listing::names); }
asio::awaitable<void> ftp_session::cmd_mlsd(const std::string& arg) { co_await list_cmd(arg, listing::facts); }

asio::awaitable<void> ftp_session::cmd_retr(const std::string& arg) {
  const auto offset = std::exchange(rest_, 0);
  if (!co_await data_ready()) co_return;
  auto p = co_await path_arg(arg);
  if (!p) co_return data_.reset();
  vfs::download_file f;
  if (auto e = co_await fs([&] { return vfs::open_download(*login_.jail, *p, f); }); e != errc::ok) {
    data_.reset();
    co_return (void)co_await reply(info(e).ftp_code, "Failed to open file.");
  }
  if (offset > f.size) {
    data_.reset();
    co_return (void)co_await reply_error(errc::offset_beyond_end);
  }
  co_await reply(150, "Opening BINARY mode data connection for " + to_client(vfs::split(*p).leaf) + " (" +
                          std::to_string(f.size) + " bytes).");
  auto data = co_await open_data();
  if (!data) co_return co_await refuse_data();
  const auto started = std::chrono::steady_clock::now();
  const std::uint64_t n = f.size - offset;
  std::uint64_t sent = 0;
  transfer_begin(*p, false, f.size, offset);
  const bool ok = co_await with_abort_watch(session::send_file(
      lane(), *data, f.fd.get(), offset, n, nullptr, pacing(), ctx_.paths.pick(false, false),
      [this, &sent] {
        touch();
        activity().set_done(sent);
      },
      sent));
  close_data(*data);
  // Rewritten while it was sent: the client got a mix of two versions (or a
  // short file). FTP has no digest to tell; the reply must.
  const bool same = co_await fs([&] { return vfs::unchanged(f.fd.get(), f.st); });
  if (!same) spdlog::warn("ftp {}: {} changed while it was being sent", id_, *p);
  log_transfer(*p, false, sent, started, ok && same, ok && !same ? errc::file_changed : errc::ok);
  if (co_await ended_early()) co_return;
  if (!same) co_return (void)co_await reply_error(errc::file_changed);
  co_await reply(ok ? 226 : 426, ok ? "Transfer complete." : "Failure writing network stream.");
}

}  // namespace ferry::ftp
