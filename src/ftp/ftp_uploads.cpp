// FTP uploads: STOR, APPE, STOU and the ALLO that may announce their size.
// Bytes land in the part file (transfer::upload); the rename into place
// happens only when the upload is known to be whole (issue 11):
//
// - a stream-mode upload ends at the data connection's EOF, and a client
//   killed mid-upload ends it the same way (its kernel closes the data
//   connection, often just before the control one). So EOF alone is not
//   completion:
// - after ALLO n, the file must end up n bytes long (APPE: n bytes appended,
//   as lftp counts it); short of that the part is kept for a resume (426);
// - on a TLS data connection, EOF is close_notify, which a killed client
//   never sends;
// - otherwise the 226 goes out at once and the commit waits for proof that
//   the client outlived the data connection (client_alive): its next
//   command, a clean close after it read the 226, or its control connection
//   still open, with the 226 taken, upload_settle after the data ended. The
//   client cannot tell: whatever it sends next is answered after the commit.
#include <poll.h>
#include <sys/ioctl.h>

#include <array>
#include <charconv>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "auth/scram.hpp"
#include "ftp/ftp_session.hpp"
#include "ftp/reply.hpp"
#include "session/server_context.hpp"
#include "session/stream_io.hpp"
#include "session/use_nothrow.hpp"
#include "transfer/upload.hpp"
#include "vfs/download_file.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::ftp {
namespace {

using tcp = asio::ip::tcp;
using session::use_nothrow;

/// How long after an upload's data connection ended the client's control
/// connection must still be open (with the 226 taken) to count as alive. A
/// killed process has its kernel close all its sockets within microseconds;
/// this leaves room for it being descheduled in between.
constexpr auto upload_settle = std::chrono::milliseconds(50);
/// How often the acknowledgement of the 226 is looked for once the control
/// connection has nothing else to show.
constexpr auto ack_poll = std::chrono::milliseconds(1);

/// An upload refused mid-way for want of room (quota, file count, full disk)
/// reads and drops the rest of its data before it replies (552): closing a
/// data connection with bytes unread makes the kernel send a reset, and
/// curl and ftplib then report "Broken pipe" instead of the refusal. Bounded,
/// so a client that never stops sending cannot hold the session or the
/// server's bandwidth: 64 MiB is under a second at loopback and LAN speeds
/// (most refused uploads end well within it), and 10 s lets a slow link
/// finish a remainder of a few MiB. Past either bound the data connection
/// is closed and the client sees the 552 only if it reads the control
/// connection (vsftpd closes at once; Pure-FTPd drains without a bound).
constexpr std::uint64_t refused_drain_bytes = 64ull << 20;
constexpr auto refused_drain_time = std::chrono::seconds(10);

/// What the control connection shows, looked at without reading it.
enum class control_sign {
  none,    ///< open, nothing to read
  input,   ///< bytes to read (a command)
  hangup,  ///< the peer's FIN and nothing before it
  reset,   ///< RST, or an error
};

control_sign look_at_control(tcp::socket& ctl) {
  pollfd p{ctl.native_handle(), POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return control_sign::none;
  int queued = 0;
  if ((p.revents & POLLIN) != 0 && ::ioctl(p.fd, FIONREAD, &queued) == 0 && queued > 0) return control_sign::input;
  if ((p.revents & (POLLERR | POLLHUP)) != 0) return control_sign::reset;
  if ((p.revents & POLLRDHUP) != 0) return control_sign::hangup;
  return control_sign::none;
}

}  // namespace

asio::awaitable<void> ftp_session::cmd_stor(const std::string& arg) { co_await store_cmd(arg, store::replace); }
asio::awaitable<void> ftp_session::cmd_appe(const std::string& arg) { co_await store_cmd(arg, store::append); }
asio::awaitable<void> ftp_session::cmd_stou(const std::string& arg) { co_await store_cmd(arg, store::unique); }

asio::awaitable<void> ftp_session::cmd_allo(const std::string& arg) {
  // "ALLO n" or "ALLO n R m" (RFC 959; the record size is ignored).
  const auto end = arg.find(' ');
  const std::string_view size = std::string_view(arg).substr(0, end);
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), n);
  if (size.empty() || ec != std::errc() || ptr != size.data() + size.size())
    co_return (void)co_await reply(501, "ALLO requires a byte count.");
  allo_ = n;
  co_await reply(200, "ALLO noted: the next upload is " + std::to_string(n) + " bytes.");
}

asio::awaitable<bool> ftp_session::client_alive(std::chrono::steady_clock::time_point data_end) {
  using namespace asio::experimental::awaitable_operators;
  using steady = std::chrono::steady_clock;
  const auto settled = data_end + upload_settle;
  const auto give_up = data_end + ctx_.cfg.ftp.data_timeout;
  for (;;) {
    // Every reply acknowledged by the client's kernel: its socket was open
    // when the 226 arrived. (Measured before the look below: a RST purges
    // the send queue, and one landing in between then shows as a reset.)
    const bool taken = session::unacked_bytes(socket_) == 0;
    const auto sign = look_at_control(socket_);
    // Bytes after the data connection ended: only a live client sends them.
    if (sign == control_sign::input) co_return true;
    // A socket closed before our 226 arrived answers it with RST, and so
    // does one closed with the 226 unread: the client never saw it.
    if (sign == control_sign::reset) co_return false;
    // A FIN after the 226 was taken: the client read it (had it been left
    // unread, the close would have been a RST).
    if (sign == control_sign::hangup && taken) co_return true;
    const auto now = steady::now();
    if (sign == control_sign::none && taken && now >= settled) co_return true;
    if (now >= give_up) co_return false;
    if (sign == control_sign::none) {
      // Until something arrives, or the settle window ends; after it, until
      // the 226 is acknowledged.
      const steady::duration wait = now < settled ? settled - now : steady::duration(ack_poll);
      asio::steady_timer t(socket_.get_executor(), wait);
      co_await (socket_.async_wait(tcp::socket::wait_read, use_nothrow) || t.async_wait(use_nothrow));
    } else {
      // After a FIN the socket stays readable: look again for the ACK or RST.
      asio::steady_timer t(socket_.get_executor(), ack_poll);
      co_await t.async_wait(use_nothrow);
    }
  }
}

asio::awaitable<bool> ftp_session::drop_rest(session::byte_stream& s, std::uint64_t& dropped) {
  using namespace asio::experimental::awaitable_operators;
  std::array<char, 64 * 1024> scratch;
  asio::steady_timer deadline(socket_.get_executor(), refused_drain_time);
  for (;;) {
    auto r = co_await (s.read_some(asio::buffer(scratch)) || deadline.async_wait(use_nothrow));
    if (r.index() == 1) co_return false;  // the time bound
    const auto [ec, n] = std::get<0>(r);
    if (ec == asio::error::eof) co_return true;
    if (ec) co_return false;
    dropped += n;
    touch();
    if (dropped > refused_drain_bytes) co_return false;  // the byte bound
  }
}

asio::awaitable<void> ftp_session::store_cmd(const std::string& arg, store mode) {
  const auto offset = std::exchange(rest_, 0);
  const auto announced = std::exchange(allo_, std::nullopt);
  if (!co_await data_ready()) co_return;
  std::optional<std::string> p;
  if (mode == store::unique) {
    for (int i = 0; i < 16 && !p; ++i) {
      const std::string name = "ferry." + auth::random_nonce(10);
      std::string cand = vfs::join(nav_.cwd, name);
      vfs::dir_entry e;
      if (name.find('/') == std::string::npos &&
          co_await fs([&] { return login_.jail->stat(cand, e); }) == errc::not_found)
        p = cand;
    }
    if (!p) co_return (void)co_await reply(450, "Could not pick a unique name.");
  } else {
    p = co_await path_arg(arg);
    if (!p) co_return data_.reset();
  }
  transfer::upload_request ur;
  ur.path = *p;
  ur.seed_from_target = true;
  if (mode == store::replace && offset > 0) {
    ur.resume = true;
    ur.offset = offset;
  } else if (mode == store::append) {
    // APPE adds to the target as it is now: its content is copied into the
    // part, whatever an earlier upload left there. Without a target, APPE
    // continues the part file (curl -C - -T after SIZE reported it).
    ur.resume = true;
  } else {
    ur.resume = false;
  }
  std::unique_ptr<transfer::upload> up;
  const auto asked = std::chrono::steady_clock::now();
  const auto e = co_await fs([&] {
    auto& quota = session::fresh_quota(nav_);
    if (const auto s = quota.get(); s.limit != 0 && s.used + s.reserved >= s.limit) return errc::quota_exceeded;
    vfs::download_file existing;
    if (mode == store::append && vfs::open_download(*login_.jail, *p, existing) == errc::ok) {
      ur.offset = existing.size;
      ur.seed_always = true;
    }
    return transfer::upload::begin(*login_.jail, quota, *ctx_.locks, ur, up);
  });
  if (e != errc::ok) {
    data_.reset();
    if (is_space_refusal(e)) {
      spdlog::info("ftp {}: upload of {} refused: {}", id_, *p, info(e).text);
      log_transfer(*p, true, 0, asked, false, e);
    }
    // A missing parent is "cannot create", as vsftpd says it (553).
    if (e == errc::not_found || e == errc::not_directory || e == errc::forbidden)
      co_return (void)co_await reply(553, "Could not create file.");
    if (e == errc::busy)
      co_return (void)co_await reply(info(e).ftp_code, "File busy: another upload of it is in progress.");
    if (e == errc::offset_beyond_end && offset > 0)
      co_return (void)co_await reply_error(e, "Cannot restart at " + std::to_string(offset));
    co_return (void)co_await reply_error(e);
  }
  // GCC 12 double-destroys std::string temporaries of ?: inside co_await:
  // build reply texts as named locals first.
  std::string opening = "Ok to send data.";
  if (mode == store::unique) opening = "FILE: " + to_client(vfs::split(*p).leaf);
  co_await reply(150, opening);
  auto data = co_await open_data();
  if (!data) {
    // No empty part left behind, and gone before the client reads the refusal.
    if (up->offset() == 0) co_await fs([&] { up->abort(true); });
    co_return co_await refuse_data();
  }
  const auto started = std::chrono::steady_clock::now();
  transfer_begin(*p, true, 0, up->offset());
  errc failure = errc::ok;
  bool eof = false;
  std::uint64_t dropped = 0;  ///< bytes read and dropped after a refusal
  auto receive = [&](session::byte_stream& s) -> asio::awaitable<bool> {
    session::write_behind disk(lane(), up.get(), failure);
    session::low_watermark lowat(s);
    lowat.set(disk.next_buffer().size());  // the size is unknown, but EOF always wakes the reader
    const auto pace = pacing();
    for (;;) {
      // On TLS, EOF is close_notify: a stream cut without it (an attacker
      // truncating the upload) is an error, and the part file stays.
      auto& buf = disk.next_buffer();
      auto [ec, n] = co_await disk.read(s.read_some(asio::buffer(buf.data(), buf.size())));
      if (failure != errc::ok) {
        // Refused for want of room: the rest is read and dropped (drop_rest).
        // Any other write error cuts the upload; its part stays for a resume.
        if (ec == asio::error::eof) co_return eof = true;
        if (ec || !is_space_refusal(failure)) co_return false;
        dropped += n;
        eof = co_await drop_rest(s, dropped);
        co_return eof;
      }
      if (ec == asio::error::eof) {
        eof = true;
        co_return true;
      }
      if (ec) co_return false;
      touch();
      activity().add(n);
      disk.queue({buf.data(), n});
      if (pace.active()) co_await pace.wait(n);
    }
  };
  co_await with_abort_watch(receive(*data));
  const auto data_end = std::chrono::steady_clock::now();
  const bool closed_by_tls = eof && data->secure();  // close_notify: a killed client sends none
  close_data(*data);
  // The control connection already gone: the data connection's end was the
  // client dying, not completion.
  const auto sign = look_at_control(socket_);
  if (eof && (control_gone_ || sign == control_sign::hangup || sign == control_sign::reset)) {
    eof = false;
    control_gone_ = true;
  }
  const std::uint64_t size = (mode == store::append ? 0 : up->offset()) + up->written();
  bool early_226 = false;
  if (eof && failure == errc::ok && !aborted_) {
    if (announced && size != *announced) {
      failure = errc::size_mismatch;  // the part stays for a resume
    } else if (!announced && !closed_by_tls) {
      early_226 = true;
      co_await reply(226, "Transfer complete.");
      if (!co_await client_alive(data_end)) {
        eof = false;
        control_gone_ = true;
        spdlog::info("ftp {}: the client went away as its upload of {} ended: kept as a part file", id_, *p);
      }
    }
  }
  std::string actual;
  bool committed = false;
  if (eof && failure == errc::ok && !aborted_) {
    failure = co_await fs([&] { return up->commit(std::nullopt, actual); });
    committed = failure == errc::ok;
    if (early_226 && !committed)
      spdlog::warn("ftp {}: upload of {} answered 226 but not stored: {}", id_, *p, info(failure).text);
  }
  if (is_space_refusal(failure))
    spdlog::info("ftp {}: upload of {} refused after {} bytes: {}; {} more bytes read and dropped{}", id_, *p,
                 up->written(), info(failure).text, dropped, eof ? "" : " (cut off at the drain bound)");
  log_transfer(*p, true, up->written(), started, committed, failure);
  // Nothing of a refused upload stays over the quota.
  if (failure == errc::quota_exceeded || failure == errc::too_many_files) co_await fs([&] { up->abort(true); });
  if (early_226) {
    if (control_gone_) closing_ = true;  // nobody is left to answer
    co_return;
  }
  if (co_await ended_early()) co_return;
  if (committed) co_return (void)co_await reply(226, "Transfer complete.");
  if (failure == errc::size_mismatch && size < *announced)
    co_return (void)co_await reply(426, "Upload incomplete: " + std::to_string(size) + " of the " +
                                            std::to_string(*announced) +
                                            " bytes announced by ALLO arrived; partial upload kept for resume.");
  if (failure == errc::size_mismatch)
    co_return (void)co_await reply(451, "Upload of " + std::to_string(size) + " bytes, not the " +
                                            std::to_string(*announced) +
                                            " announced by ALLO: not stored (partial upload kept).");
  if (failure == errc::quota_exceeded || failure == errc::too_many_files)
    co_return (void)co_await reply_error(failure, "Upload discarded");
  if (failure == errc::insufficient_storage)
    co_return (void)co_await reply_error(errc::insufficient_storage, up->offset() == 0 ? "Upload discarded" : "Partial upload kept");
  if (failure != errc::ok) co_return (void)co_await reply(451, "Local error writing the file.");
  co_await reply(426, "Connection closed; transfer aborted (partial upload kept for resume).");
}

}  // namespace ferry::ftp
