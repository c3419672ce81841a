// One FTP control connection (RFC 959 and its extensions): reads command
// lines and answers them through one command table, with data connections
// opened per transfer (data_channel.hpp). Built on the shared session
// skeleton, so accounts, jail, quota ledger, path locks, token buckets,
// registry, login throttle and xferlog are the native protocol's own.
// Lives on one io_context for its whole life, so its members need no locks.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <string_view>

#include "ftp/address.hpp"
#include "ftp/command_line.hpp"
#include "ftp/data_channel.hpp"
#include "proto/errc.hpp"
#include "session/session_base.hpp"

namespace ferry::vfs {
class dir_listing;
}

namespace ferry::ftp {

class name_codec;

class ftp_session final : public session::session_base {
 public:
  /// `implicit_tls`: the implicit FTPS listener (TLS from the first byte).
  ftp_session(asio::ip::tcp::socket control, session::server_context& ctx, std::uint64_t id,
              std::string peer, bool implicit_tls = false);
  ~ftp_session() override;

  /// One command: its verb, whether it needs a login, and its handler.
  struct command_entry;

 private:
  using tcp = asio::ip::tcp;

  asio::awaitable<bool> greet() override;
  asio::awaitable<void> serve() override;
  asio::awaitable<void> farewell(ending why) override;
  bool busy() const override { return !reading_; }

  asio::awaitable<bool> reply(int code, std::string_view text);
  /// The errc table's FTP code and text, after `context` ("Rename failed").
  asio::awaitable<bool> reply_error(errc e, std::string_view context = {});
  asio::awaitable<bool> send_raw(std::string text);
  /// Next command line: queued ones first, else read from the socket.
  /// nullopt when the connection is gone, or (after 421) when lines sent
  /// during a transfer were dropped.
  asio::awaitable<std::optional<std::string>> next_line();
  asio::awaitable<void> dispatch(const command& c);

  // Path arguments: client bytes -> UTF-8 -> normalized virtual path. On
  // failure a reply has been sent and nullopt is returned.
  asio::awaitable<std::optional<std::string>> path_arg(const std::string& arg);
  std::string to_client(const std::string& utf8) const;

  // TLS (RFC 4217, ftp_tls.cpp).
  /// Handshake on the control connection (AUTH TLS, or at once on the
  /// implicit listener). False when it failed and the session must end.
  asio::awaitable<bool> secure_control();
  /// USER/PASS are refused until AUTH TLS on this listener.
  bool tls_required() const;

  // Data connections (ftp_transfers.cpp).
  /// The data connection of one transfer, TLS-protected after PROT P. On
  /// failure the caller cleans up, then sends the refusal (425 or 522) with
  /// refuse_data().
  asio::awaitable<std::optional<session::byte_stream>> open_data();
  asio::awaitable<void> refuse_data();
  /// A transfer may start: PASV/PORT done, and PROT P where TLS is
  /// required. Otherwise the reply has been sent.
  asio::awaitable<bool> data_ready();
  /// Runs `body` while watching the control connection for ABOR and for the
  /// client going away. Returns false when the transfer was aborted.
  asio::awaitable<bool> with_abort_watch(asio::awaitable<bool> body);
  asio::awaitable<void> watch_control();
  /// After an upload's data connection ended (at `data_end`) and its 226
  /// went out: true once the client shows it is alive, false when its
  /// control connection is gone without that proof (ftp_uploads.cpp).
  asio::awaitable<bool> client_alive(std::chrono::steady_clock::time_point data_end);
  /// After a data transfer: true (and the replies sent) when the client
  /// aborted it or went away, so the caller sends no completion reply.
  asio::awaitable<bool> ended_early();

 public:
  // Command handlers (ftp_session.cpp, ftp_files.cpp, ftp_transfers.cpp).
  asio::awaitable<void> cmd_user(const std::string& arg);
  asio::awaitable<void> cmd_pass(const std::string& arg);
  asio::awaitable<void> cmd_quit(const std::string& arg);
  asio::awaitable<void> cmd_simple(const std::string& arg);  // NOOP etc., by verb
  asio::awaitable<void> cmd_feat(const std::string& arg);
  asio::awaitable<void> cmd_opts(const std::string& arg);
  asio::awaitable<void> cmd_help(const std::string& arg);
  asio::awaitable<void> cmd_type(const std::string& arg);
  asio::awaitable<void> cmd_mode(const std::string& arg);
  asio::awaitable<void> cmd_stru(const std::string& arg);
  asio::awaitable<void> cmd_stat(const std::string& arg);
  asio::awaitable<void> cmd_pwd(const std::string& arg);
  asio::awaitable<void> cmd_cwd(const std::string& arg);
  asio::awaitable<void> cmd_cdup(const std::string& arg);
  asio::awaitable<void> cmd_mkd(const std::string& arg);
  asio::awaitable<void> cmd_rmd(const std::string& arg);
  asio::awaitable<void> cmd_dele(const std::string& arg);
  asio::awaitable<void> cmd_rnfr(const std::string& arg);
  asio::awaitable<void> cmd_rnto(const std::string& arg);
  asio::awaitable<void> cmd_size(const std::string& arg);
  asio::awaitable<void> cmd_mdtm(const std::string& arg);
  asio::awaitable<void> cmd_mlst(const std::string& arg);
  asio::awaitable<void> cmd_hash(const std::string& arg);
  asio::awaitable<void> cmd_rest(const std::string& arg);
  asio::awaitable<void> cmd_pasv(const std::string& arg);
  asio::awaitable<void> cmd_epsv(const std::string& arg);
  asio::awaitable<void> cmd_port(const std::string& arg);
  asio::awaitable<void> cmd_eprt(const std::string& arg);
  asio::awaitable<void> cmd_list(const std::string& arg);
  asio::awaitable<void> cmd_nlst(const std::string& arg);
  asio::awaitable<void> cmd_mlsd(const std::string& arg);
  asio::awaitable<void> cmd_retr(const std::string& arg);
  asio::awaitable<void> cmd_stor(const std::string& arg);
  asio::awaitable<void> cmd_appe(const std::string& arg);
  asio::awaitable<void> cmd_stou(const std::string& arg);
  asio::awaitable<void> cmd_allo(const std::string& arg);
  asio::awaitable<void> cmd_abor(const std::string& arg);
  asio::awaitable<void> cmd_auth(const std::string& arg);
  asio::awaitable<void> cmd_pbsz(const std::string& arg);
  asio::awaitable<void> cmd_prot(const std::string& arg);

 private:
  enum class listing { long_form, names, facts };
  asio::awaitable<void> list_cmd(const std::string& arg, listing kind);
  /// Sends a directory listing over the data connection in slices, formatting
  /// entries as it goes (vfs::dir_listing: the names only stay in memory).
  asio::awaitable<void> send_listing(vfs::dir_listing& entries, listing kind);
  enum class store { replace, append, unique };
  asio::awaitable<void> store_cmd(const std::string& arg, store mode);
  /// After an upload was refused for want of room: reads and drops what the
  /// client still sends, so it reads the refusal instead of a reset. True at
  /// its EOF; false past the drain bounds (ftp_uploads.cpp) or on an error.
  asio::awaitable<bool> drop_rest(session::byte_stream& s, std::uint64_t& dropped);
  asio::awaitable<bool> open_passive(bool extended);
  /// PORT/EPRT: only to the control connection's own address.
  asio::awaitable<void> set_active_target(std::optional<host_port> hp);

  line_splitter lines_;
  pending_lines queued_;  ///< lines read while a transfer ran (bounded)
  std::string rbuf_;
  std::unique_ptr<name_codec> codec_;

  std::string pending_user_;  ///< USER, waiting for PASS

  std::string verb_;  ///< the command being handled
  // Per-command state, cleared as it is used (vsftpd's habit).
  std::uint64_t rest_ = 0;
  std::optional<std::uint64_t> allo_;  ///< ALLO: the next upload's size
  std::string rnfr_;
  /// Why open_data() failed: the reply refuse_data() sends.
  std::pair<int, std::string> data_refusal_{425, "Failed to establish connection."};
  std::string hash_algo_ = "xxh128";

  data_channel data_;
  const bool implicit_tls_;
  /// The TLS context the control connection uses; data connections use the
  /// same one (a reload must not break their session resumption).
  std::shared_ptr<const session::tls_context> tls_;
  session::reuse_token tls_token_{};  ///< tags this control's TLS sessions
  bool pbsz_ = false;                 ///< PBSZ seen after AUTH
  bool prot_private_ = false;         ///< PROT P: data connections use TLS
  bool epsv_all_ = false;
  bool aborted_ = false;        ///< ABOR seen during the current transfer
  bool control_gone_ = false;   ///< the client closed the control connection
  bool closing_ = false;
  bool reading_ = false;        ///< waiting for the next command (idle, for the gate)
};

}  // namespace ferry::ftp
