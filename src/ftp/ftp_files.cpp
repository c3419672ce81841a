// FTP commands on names and files that need no data connection: PWD, CWD,
// CDUP, MKD, RMD, DELE, RNFR/RNTO, SIZE, MDTM, MLST, HASH, STAT, REST. Every
// path goes through path_arg() (encoding, normalization) and then the jail.
#include <charconv>

#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "ftp/listing.hpp"
#include "ftp/name_codec.hpp"
#include "ftp/reply.hpp"
#include "ftp/ftp_session.hpp"
#include "session/server_context.hpp"
#include "session/stream_io.hpp"
#include "vfs/download_file.hpp"
#include "vfs/part_file.hpp"
#include "vfs/jail.hpp"
#include "vfs/quota_ledger.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::ftp {
asio::awaitable<void> ftp_session::cmd_pwd(const std::string&) {
  co_await reply(257, quote_path(to_client(nav_.cwd)) + " is the current directory");
}

asio::awaitable<void> ftp_session::cmd_cwd(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  if (auto e = co_await fs([&] { return login_.jail->check_dir(*p); }); e != errc::ok) {
    co_return (void)co_await reply_error(e, "Failed to change directory");
  }
  nav_.cwd = *p;
  co_await reply(250, "Directory successfully changed.");
}

asio::awaitable<void> ftp_session::cmd_cdup(const std::string&) { co_await cmd_cwd(".."); }

asio::awaitable<void> ftp_session::cmd_mkd(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  if (auto e = co_await fs([&] { return session::make_dir(nav_, *p, false); }); e != errc::ok) {
    co_return (void)co_await reply_error(e, "Create directory operation failed");
  }
  co_await reply(257, quote_path(to_client(*p)) + " created");
}

asio::awaitable<void> ftp_session::cmd_rmd(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  if (nav_.holds_cwd(*p))
    co_return (void)co_await reply(550, "Cannot remove the current directory.");
  if (auto e = co_await fs([&] { return session::remove_dir(nav_, *p); }); e != errc::ok) {
    co_return (void)co_await reply_error(e, "Remove directory operation failed");
  }
  co_await reply(250, "Remove directory operation successful.");
}

asio::awaitable<void> ftp_session::cmd_dele(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  if (auto e = co_await fs([&] { return session::remove_file(nav_, *p); }); e != errc::ok) {
    co_return (void)co_await reply_error(e, "Delete operation failed");
  }
  co_await reply(250, "Delete operation successful.");
}

asio::awaitable<void> ftp_session::cmd_rnfr(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  vfs::dir_entry e;
  if (auto ec = co_await fs([&] { return login_.jail->stat(*p, e); }); ec != errc::ok)
    co_return (void)co_await reply_error(ec, "RNFR command failed");
  if (*p == "/") co_return (void)co_await reply_error(errc::forbidden, "RNFR command failed");
  rnfr_ = *p;
  co_await reply(350, "Ready for RNTO.");
}

asio::awaitable<void> ftp_session::cmd_rnto(const std::string& arg) {
  if (rnfr_.empty()) co_return (void)co_await reply(503, "RNFR required first.");
  const std::string from = std::exchange(rnfr_, {});
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  if (nav_.holds_cwd(from))
    co_return (void)co_await reply(550, "Cannot move the current directory.");
  if (auto e = co_await fs([&] { return session::rename(nav_, from, *p); }); e != errc::ok) {
    co_return (void)co_await reply_error(e, "Rename failed");
  }
  co_await reply(250, "Rename successful.");
}

asio::awaitable<void> ftp_session::cmd_size(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  vfs::dir_entry e;
  std::optional<std::uint64_t> size;
  const auto ec = co_await fs([&] {
    auto r = login_.jail->stat(*p, e);
    std::uint64_t n = 0;
    // An interrupted upload: report the part file's length so `curl -C - -T`
    // and `lftp reput` continue it (with APPE or REST + STOR).
    if (r == errc::not_found && vfs::part_size(*login_.jail, *p, n) == errc::ok) size = n;
    vfs::download_file f;  // a link: followed inside the jail
    if (r == errc::ok && e.type == vfs::file_type::link && vfs::open_download(*login_.jail, *p, f) == errc::ok)
      size = f.size;
    if (r == errc::ok && e.type == vfs::file_type::file) size = e.size;
    return r;
  });
  if (size) co_return (void)co_await reply(213, std::to_string(*size));
  if (ec != errc::ok) co_return (void)co_await reply(info(ec).ftp_code, "Could not get file size.");
  co_await reply(550, "Could not get file size.");
}

asio::awaitable<void> ftp_session::cmd_mdtm(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  vfs::download_file f;
  if (auto e = co_await fs([&] { return vfs::open_download(*login_.jail, *p, f); }); e != errc::ok)
    co_return (void)co_await reply(info(e).ftp_code, "Could not get file modification time.");
  co_await reply(213, mdtm_time(f.st.st_mtim.tv_sec));
}

asio::awaitable<void> ftp_session::cmd_mlst(const std::string& arg) {
  const std::string target = arg.empty() ? std::string(".") : arg;
  auto p = co_await path_arg(target);
  if (!p) co_return;
  vfs::dir_entry e;
  if (auto ec = co_await fs([&] { return login_.jail->stat(*p, e); }); ec != errc::ok)
    co_return (void)co_await reply_error(ec);
  std::vector<std::string> facts{mlsx_line(e, to_client(*p))};
  co_await send_raw(multiline(250, "Listing " + to_client(*p), facts, "End"));
}

asio::awaitable<void> ftp_session::cmd_hash(const std::string& arg) {
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  vfs::download_file f;
  if (auto e = co_await fs([&] { return vfs::open_download(*login_.jail, *p, f); }); e != errc::ok) {
    co_return (void)co_await reply_error(e);
  }
  const auto hex = co_await session::file_digest(lane(), f, hash_algo_, [this] { touch(); });
  if (!hex) co_return (void)co_await reply(451, "Read error.");
  // draft-bryan-ftp-hash: "213 ALGO START-END HASH NAME"
  co_await reply(213, std::string(hash_name(hash_algo_)) + " 0-" + std::to_string(f.size) + " " + *hex +
                          " " + to_client(*p));
}

asio::awaitable<void> ftp_session::cmd_rest(const std::string& arg) {
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), n);
  if (ec != std::errc() || ptr != arg.data() + arg.size())
    co_return (void)co_await reply(501, "REST requires a non-negative byte offset.");
  rest_ = n;
  co_await reply(350, "Restart position accepted (" + std::to_string(n) + ").");
}

asio::awaitable<void> ftp_session::cmd_stat(const std::string& arg) {
  if (arg.empty()) {
    std::vector<std::string> status{"Connected to " + peer_addr_, "Logged in as " + login_.user,
                                    "TYPE: BINARY, MODE: STREAM, STRUCTURE: FILE",
                                    std::string("Data connection: ") +
                                        (data_.passive() ? "passive" : data_.active() ? "active" : "none")};
    co_return (void)co_await send_raw(multiline(211, "FTP server status:", status, "End of status"));
  }
  auto p = co_await path_arg(arg);
  if (!p) co_return;
  std::vector<vfs::dir_entry> entries;
  if (auto e = co_await fs([&] { return login_.jail->list(*p, entries); }); e != errc::ok)
    co_return (void)co_await reply_error(e);
  std::vector<std::string> lines;
  const auto now = std::time(nullptr);
  for (auto& e : entries) {
    if (vfs::find_control_char(e.name) != std::string::npos) continue;  // as in LIST (send_listing)
    auto name = codec_->to_client(e.name);
    if (!name) continue;
    e.name = *name;
    lines.push_back(list_line(e, now));
  }
  co_await send_raw(multiline(213, "Status follows:", lines, "End of status"));
}

}  // namespace ferry::ftp
