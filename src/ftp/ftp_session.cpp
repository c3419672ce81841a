// FTP control connection: line loop, command table, login, and the commands
// that need neither files nor data connections.
#include "ftp/ftp_session.hpp"

#include <array>
#include <cstring>

#include <asio/write.hpp>
#include <spdlog/spdlog.h>

#include "auth/plain_password.hpp"
#include "ftp/name_codec.hpp"
#include "ftp/reply.hpp"
#include "session/server_context.hpp"
#include "session/use_nothrow.hpp"
#include "vfs/jail.hpp"
#include "vfs/virtual_path.hpp"

namespace ferry::ftp {
namespace {

using session::use_nothrow;

// A verifier for names that do not exist, so an unknown user costs the same
// PBKDF2 work as a wrong password (no user enumeration by timing).
const auth::scram_verifier& dummy_verifier() {
  static const auth::scram_verifier v = auth::make_verifier("ferry-dummy-password");
  return v;
}

}  // namespace

struct ftp_session::command_entry {
  std::string_view verb;
  asio::awaitable<void> (ftp_session::*fn)(const std::string&);
  bool needs_login;
  bool needs_arg;
};

namespace {

using S = ftp_session;
constexpr std::array<ftp_session::command_entry, 48> commands{{
    {"USER", &S::cmd_user, false, true},   {"PASS", &S::cmd_pass, false, false},
    {"QUIT", &S::cmd_quit, false, false},  {"NOOP", &S::cmd_simple, false, false},
    {"SYST", &S::cmd_simple, false, false}, {"ACCT", &S::cmd_simple, false, false},
    {"AUTH", &S::cmd_auth, false, true},   {"ALLO", &S::cmd_allo, true, false},
    {"FEAT", &S::cmd_feat, false, false},  {"OPTS", &S::cmd_opts, false, true},
    {"HELP", &S::cmd_help, false, false},  {"TYPE", &S::cmd_type, true, true},
    {"MODE", &S::cmd_mode, true, true},    {"STRU", &S::cmd_stru, true, true},
    {"STAT", &S::cmd_stat, true, false},   {"PWD", &S::cmd_pwd, true, false},
    {"XPWD", &S::cmd_pwd, true, false},    {"CWD", &S::cmd_cwd, true, true},
    {"XCWD", &S::cmd_cwd, true, true},     {"CDUP", &S::cmd_cdup, true, false},
    {"XCUP", &S::cmd_cdup, true, false},   {"MKD", &S::cmd_mkd, true, true},
    {"XMKD", &S::cmd_mkd, true, true},     {"RMD", &S::cmd_rmd, true, true},
    {"XRMD", &S::cmd_rmd, true, true},     {"DELE", &S::cmd_dele, true, true},
    {"RNFR", &S::cmd_rnfr, true, true},    {"RNTO", &S::cmd_rnto, true, true},
    {"SIZE", &S::cmd_size, true, true},    {"MDTM", &S::cmd_mdtm, true, true},
    {"MLST", &S::cmd_mlst, true, false},   {"HASH", &S::cmd_hash, true, true},
    {"REST", &S::cmd_rest, true, true},    {"PASV", &S::cmd_pasv, true, false},
    {"EPSV", &S::cmd_epsv, true, false},   {"PORT", &S::cmd_port, true, true},
    {"EPRT", &S::cmd_eprt, true, true},    {"LIST", &S::cmd_list, true, false},
    {"NLST", &S::cmd_nlst, true, false},   {"MLSD", &S::cmd_mlsd, true, false},
    {"RETR", &S::cmd_retr, true, true},    {"STOR", &S::cmd_stor, true, true},
    {"APPE", &S::cmd_appe, true, true},    {"STOU", &S::cmd_stou, true, false},
    {"ABOR", &S::cmd_abor, true, false},   {"PBSZ", &S::cmd_pbsz, false, true},
    {"PROT", &S::cmd_prot, false, true},   {"CLNT", &S::cmd_simple, false, false},
}};

const ftp_session::command_entry* find(std::string_view verb) {
  for (const auto& c : commands)
    if (c.verb == verb) return &c;
  return nullptr;
}

}  // namespace

ftp_session::ftp_session(tcp::socket control, session::server_context& ctx, std::uint64_t id,
                         std::string peer, bool implicit_tls)
    : session_base(std::move(control), ctx, id, std::move(peer), implicit_tls ? "ftps" : "ftp"),
      rbuf_(16 * 1024, '\0'),
      codec_(name_codec::make(ctx.cfg.ftp.encoding)),
      data_(socket_.get_executor()),
      implicit_tls_(implicit_tls) {}

ftp_session::~ftp_session() = default;

asio::awaitable<bool> ftp_session::greet() {
  // ABOR is often sent as TCP urgent data (Python's ftplib does); keep the
  // urgent byte in the stream so the line stays whole.
  std::error_code ec;
  socket_.set_option(asio::socket_base::out_of_band_inline(true), ec);
  if (implicit_tls_) {
    if (!co_await secure_control()) co_return false;
    // Implicit FTPS protects data too unless the client says PROT C.
    pbsz_ = prot_private_ = true;
  }
  co_return co_await reply(220, "ferryd FTP ready.");
}

asio::awaitable<void> ftp_session::farewell(ending why) {
  if (why == ending::timeout) co_await reply(421, "Timeout.");
  else if (why == ending::shutdown) co_await reply(421, "Server shutting down.");
  else if (why == ending::kicked) co_await reply(421, "Closed by the server administrator.");
}

asio::awaitable<bool> ftp_session::send_raw(std::string text) {
  // A control connection that failed a write is dead (byte_stream fails
  // every later write at once): the session ends.
  auto [ec, n] = co_await stream_.write(asio::buffer(text));
  if (ec) closing_ = true;
  co_return !ec;
}

asio::awaitable<bool> ftp_session::reply(int code, std::string_view text) {
  co_return co_await send_raw(ftp::reply(code, text));
}

asio::awaitable<bool> ftp_session::reply_error(errc e, std::string_view context) {
  co_return co_await send_raw(ftp::error_reply(e, context));
}

asio::awaitable<std::optional<std::string>> ftp_session::next_line() {
  for (;;) {
    if (auto l = queued_.pop()) co_return l;
    if (queued_.overflowed()) {
      // Lines sent during a transfer were dropped (pending_lines); they can
      // never be answered, so the client cannot pair replies any more.
      co_await reply(421, "Too many commands sent during a transfer; closing control connection.");
      co_return std::nullopt;
    }
    std::string line;
    const auto r = lines_.next(line);
    if (r == line_splitter::result::line) co_return line;
    if (r == line_splitter::result::too_long) {
      if (!co_await reply(500, "Command line too long.")) co_return std::nullopt;
      continue;
    }
    // Graceful shutdown: stop between commands.
    if (stopping()) co_return std::nullopt;
    reading_ = true;
    auto [ec, n] = co_await stream_.read_some(asio::buffer(rbuf_));
    reading_ = false;
    if (ec) co_return std::nullopt;
    lines_.feed({rbuf_.data(), n});
  }
}

asio::awaitable<void> ftp_session::serve() {
  while (!closing_) {
    auto line = co_await next_line();
    if (!line) co_return;
    touch();
    auto c = parse_command(*line);
    if (!c) {
      if (!co_await reply(500, "Syntax error, command unrecognized.")) co_return;
      continue;
    }
    co_await dispatch(*c);
  }
}

asio::awaitable<void> ftp_session::dispatch(const command& c) {
  const auto* e = find(c.verb);
  if (e == nullptr) co_return (void)co_await reply(500, "Unknown command.");
  if (e->needs_login && !logged_in()) co_return (void)co_await reply(530, "Please login with USER and PASS.");
  if (e->needs_arg && c.arg.empty()) co_return (void)co_await reply(501, "Syntax error in parameters or arguments.");
  // RNFR must be followed directly by RNTO; REST by a transfer; ALLO by an
  // upload, with only REST and the data-connection setup in between (lftp
  // sends PASV, ALLO, REST, STOR).
  const bool keeps_rnfr = c.verb == "RNTO";
  const bool keeps_rest =
      c.verb == "RETR" || c.verb == "STOR" || c.verb == "APPE" || c.verb == "REST" || c.verb == "ALLO";
  const bool keeps_allo = c.verb == "ALLO" || c.verb == "REST" || c.verb == "PASV" || c.verb == "EPSV" ||
                          c.verb == "PORT" || c.verb == "EPRT" || c.verb == "TYPE";
  verb_ = c.verb;
  co_await (this->*(e->fn))(c.arg);
  if (!keeps_rnfr && c.verb != "RNFR") rnfr_.clear();
  if (!keeps_rest) rest_ = 0;
  if (!keeps_allo) allo_.reset();
}

asio::awaitable<void> ftp_session::cmd_simple(const std::string&) {
  const auto& verb = verb_;
  if (verb == "NOOP") co_return (void)co_await reply(200, "NOOP ok.");
  if (verb == "SYST") co_return (void)co_await reply(215, "UNIX Type: L8");
  if (verb == "ACCT") co_return (void)co_await reply(502, "ACCT not implemented.");
  co_return (void)co_await reply(200, "OK.");  // CLNT
}

asio::awaitable<void> ftp_session::cmd_quit(const std::string&) {
  closing_ = true;
  co_await reply(221, "Goodbye.");
}

asio::awaitable<void> ftp_session::cmd_user(const std::string& arg) {
  if (logged_in()) co_return (void)co_await reply(530, "Already logged in; cannot change user.");
  if (tls_required() && !stream_.secure())
    co_return (void)co_await reply_error(errc::tls_required, "Send AUTH TLS first");
  pending_user_ = arg;
  co_await reply(331, "Please specify the password.");
}

asio::awaitable<void> ftp_session::cmd_pass(const std::string& arg) {
  if (logged_in()) co_return (void)co_await reply(230, "Already logged in.");
  if (pending_user_.empty()) co_return (void)co_await reply(503, "Login with USER first.");
  if (!stream_.secure() && off_loopback() && !ctx_.cfg.ftp.allow_plaintext) {
    // SECURITY: without TLS the password would cross the network in clear.
    pending_user_.clear();
    co_return (void)co_await reply(530, "Plain-text passwords are refused on this listener; "
                                        "use AUTH TLS (FTPS) or set ftp.allow_plaintext.");
  }
  const std::string user = std::exchange(pending_user_, {});
  auto acct = ctx_.accounts->find(user);
  bool ok = false;
  const auto now = std::chrono::steady_clock::now();
  if (acct) {
    if (ctx_.login_cache.recently_verified(user, arg, acct->scram, now)) {
      ok = true;
    } else if (auto v = auth::parse_verifier(acct->scram)) {
      ok = auth::verify_plain_password(*v, arg);
      if (ok) ctx_.login_cache.remember(user, arg, acct->scram, now);
    }
  } else {
    (void)auth::verify_plain_password(dummy_verifier(), arg);
  }
  if (!ok) {
    const bool more = co_await login_failed(user, {});
    co_await reply(530, "Login incorrect.");
    if (!more) closing_ = true;
    co_return;
  }
  switch (co_await log_in(user)) {
    case session::login_refusal::none: break;
    case session::login_refusal::unknown_user:  // deleted between the check and now
      co_return (void)co_await reply(530, "Login incorrect.");
    case session::login_refusal::too_many_sessions:
      co_await reply(421, "Too many sessions for this user.");
      closing_ = true;
      co_return;
    case session::login_refusal::home_unavailable:
      co_await reply(421, "Home directory unavailable.");
      closing_ = true;
      co_return;
  }
  co_await reply(230, "Login successful.");
}

asio::awaitable<void> ftp_session::cmd_feat(const std::string&) {
  std::string hash = "HASH ";
  for (const auto* a : {"xxh128", "sha256", "md5"}) {
    hash += hash_name(a);
    if (hash_algo_ == a) hash += '*';
    hash += ';';
  }
  hash.pop_back();
  std::vector<std::string> features{"EPRT", "EPSV", hash, "MDTM", "MLST type*;size*;modify*;perm*;unique*;",
                                    "PASV", "REST STREAM", "SIZE", "TVFS", "UTF8"};
  if (ctx_.tls.enabled()) {
    // RFC 4217 §6: FEAT lists AUTH, PBSZ and PROT (kept in sorted order).
    features.insert(features.begin(), "AUTH TLS");
    features.insert(features.begin() + 7, {"PBSZ", "PROT"});
  }
  co_await send_raw(multiline(211, "Features:", features, "End"));
}

asio::awaitable<void> ftp_session::cmd_opts(const std::string& arg) {
  std::string upper;
  for (char ch : arg) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (upper == "UTF8 ON" || upper == "UTF-8 ON" || upper == "UTF8")
    co_return (void)co_await reply(200, codec_->is_utf8() ? "Always in UTF8 mode." : "UTF8 mode on.");
  if (upper.starts_with("MLST")) co_return (void)co_await reply(200, "MLST OPTS type;size;modify;perm;unique;");
  if (upper.starts_with("HASH")) {
    const auto name = upper.size() > 5 ? upper.substr(5) : std::string();
    if (!name.empty()) {
      const auto algo = hash_algo_named(name);
      if (algo.empty()) co_return (void)co_await reply(501, "Unknown hash algorithm; use XXH128, SHA-256 or MD5.");
      hash_algo_ = std::string(algo);
    }
    co_return (void)co_await reply(200, hash_name(hash_algo_));
  }
  co_await reply(501, "Option not understood.");
}

asio::awaitable<void> ftp_session::cmd_help(const std::string&) {
  std::vector<std::string> lines;
  std::string row;
  for (const auto& c : commands) {
    row += std::string(c.verb) + std::string(6 - c.verb.size(), ' ');
    if (row.size() >= 60) lines.push_back(std::exchange(row, {}));
  }
  if (!row.empty()) lines.push_back(row);
  co_await send_raw(multiline(214, "The following commands are recognized.", lines, "Help OK."));
}

asio::awaitable<void> ftp_session::cmd_type(const std::string& arg) {
  std::string t;
  for (char ch : arg) t.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (t == "I" || t == "L 8") co_return (void)co_await reply(200, "Switching to Binary mode.");
  if (t == "A" || t == "A N") co_return (void)co_await reply(200, "Switching to ASCII mode.");
  co_await reply(504, "Unsupported TYPE; use I or A.");
}

asio::awaitable<void> ftp_session::cmd_mode(const std::string& arg) {
  if (arg == "S" || arg == "s") co_return (void)co_await reply(200, "Mode set to S.");
  co_await reply(504, "Only stream mode (S) is supported.");
}

asio::awaitable<void> ftp_session::cmd_stru(const std::string& arg) {
  if (arg == "F" || arg == "f") co_return (void)co_await reply(200, "Structure set to F.");
  co_await reply(504, "Only file structure (F) is supported.");
}

asio::awaitable<void> ftp_session::cmd_abor(const std::string&) {
  // No transfer in progress (an ABOR during one is handled by the watcher).
  data_.reset();
  co_await reply(226, "No transfer to abort.");
}

asio::awaitable<std::optional<std::string>> ftp_session::path_arg(const std::string& arg) {
  auto name = codec_->from_client(arg);
  if (!name) {
    co_await reply(info(errc::bad_name).ftp_code, "File name not allowed (not valid in the server's encoding).");
    co_return std::nullopt;
  }
  std::string why;
  auto p = vfs::resolve(nav_.cwd, *name, why);
  if (!p) {
    co_await reply(info(errc::bad_name).ftp_code, "File name not allowed: " + why);
    co_return std::nullopt;
  }
  co_return p;
}

std::string ftp_session::to_client(const std::string& utf8) const {
  auto s = codec_->to_client(utf8);
  return s ? *s : utf8;
}

}  // namespace ferry::ftp
