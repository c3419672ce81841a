// FTP over TLS (RFC 4217): AUTH TLS, PBSZ, PROT, and the implicit listener's
// handshake. The data connections' handshakes are in ftp_transfers.cpp.
#include <spdlog/spdlog.h>

#include "ftp/ftp_session.hpp"
#include "session/server_context.hpp"

namespace ferry::ftp {

bool ftp_session::tls_required() const {
  return ctx_.cfg.ftp.require_tls.value_or(ctx_.tls.enabled() && off_loopback());
}

asio::awaitable<bool> ftp_session::secure_control() {
  tls_ = ctx_.tls.current();
  if (!tls_) co_return false;
  tls_token_ = session::tls_context::make_token();
  std::string error;
  if (!co_await stream_.handshake(*tls_, tls_token_, error)) {
    spdlog::warn("ftp {}: TLS handshake with {} failed: {}", id_, peer_, error);
    co_return false;
  }
  spdlog::info("ftp {}: control {}", id_, stream_.describe());
  co_return true;
}

asio::awaitable<void> ftp_session::cmd_auth(const std::string& arg) {
  std::string mech;
  for (char ch : arg) mech.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (stream_.secure()) co_return (void)co_await reply(503, "Already using TLS.");
  // The password already crossed in clear: TLS now would only pretend.
  if (logged_in()) co_return (void)co_await reply(503, "Already logged in without TLS; reconnect and send AUTH TLS first.");
  if (!ctx_.tls.enabled()) co_return (void)co_await reply(502, "TLS is not configured on this server.");
  // "SSL" and "TLS-C" are old names for the same thing (RFC 4217 §4).
  if (mech != "TLS" && mech != "SSL" && mech != "TLS-C")
    co_return (void)co_await reply(504, "Unsupported security mechanism; use AUTH TLS.");
  if (!co_await reply(234, "Proceed with negotiation.")) co_return;
  // SECURITY: anything read after the AUTH line arrived in clear text and
  // may have been injected by a third party (the STARTTLS command-injection
  // attack, CVE-2011-0411): drop it. The handshake reads from the socket.
  lines_ = line_splitter{};
  queued_ = pending_lines{};
  // AUTH resets the login state (RFC 4217 §4).
  pending_user_.clear();
  if (!co_await secure_control()) closing_ = true;
}

asio::awaitable<void> ftp_session::cmd_pbsz(const std::string&) {
  if (!stream_.secure()) co_return (void)co_await reply(503, "PBSZ needs AUTH TLS first.");
  pbsz_ = true;
  // A stream protocol needs no buffer (RFC 4217 §8): always 0.
  co_await reply(200, "PBSZ=0");
}

asio::awaitable<void> ftp_session::cmd_prot(const std::string& arg) {
  if (!stream_.secure()) co_return (void)co_await reply(503, "PROT needs AUTH TLS first.");
  if (!pbsz_) co_return (void)co_await reply(503, "PROT needs PBSZ first.");
  if (arg == "P" || arg == "p") {
    prot_private_ = true;
    co_return (void)co_await reply(200, "PROT now Private.");
  }
  if (arg == "C" || arg == "c") {
    // SECURITY: where TLS is required, file data must be encrypted too.
    if (tls_required()) co_return (void)co_await reply(534, "PROT C refused: this server requires encrypted data connections.");
    prot_private_ = false;
    co_return (void)co_await reply(200, "PROT now Clear.");
  }
  if (arg == "S" || arg == "E" || arg == "s" || arg == "e")
    co_return (void)co_await reply(536, "PROT level not supported; use P or C.");
  co_await reply(504, "Unknown PROT level.");
}

}  // namespace ferry::ftp
