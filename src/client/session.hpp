// A logged-in conversation with ferryd: hello, SCRAM-SHA-256 login (over TLS
// SCRAM-SHA-256-PLUS, bound to the channel), and one typed method per
// navigation op of docs/protocol.md. Requests get increasing ids and
// every reply's id is checked. The session keeps no remote cwd of its own:
// paths go out as typed and the server resolves them; cwd() only remembers
// what the server last reported, for the prompt.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "auth/scram_client.hpp"
#include "client/connection.hpp"
#include "client/file_entry.hpp"
#include "client/result.hpp"

namespace ferry::client {

struct quota_info {
  std::uint64_t used = 0;
  std::uint64_t limit = 0;  ///< 0 = unlimited
  /// Names in the home and the most it may hold (0 = unlimited); servers
  /// before the file-count limit do not send them.
  std::optional<std::uint64_t> files;
  std::uint64_t max_files = 0;
};

class session {
 public:
  explicit session(connection conn);

  /// Sends hello and checks the server speaks version 1 and offers
  /// SCRAM-SHA-256 (or, over TLS, -PLUS). Failure text is one sentence for
  /// "ferry: TEXT": a refusal is the server's own message (e.g. that it
  /// requires TLS).
  result<> hello();

  /// Logs in, then pwd to learn the starting directory. Over TLS with a
  /// server that offers it: SCRAM-SHA-256-PLUS bound to the connection's
  /// tls-exporter (RFC 9266); over TLS without: SCRAM-SHA-256 saying "y" (a
  /// server that can bind then detects the downgrade); in clear:
  /// SCRAM-SHA-256. Failure texts (for "ferry: TEXT"): "login failed:
  /// authentication failed" and the like, "login failed: channel binding
  /// ..." (the server's words); "server failed to prove it knows the
  /// password verifier; disconnecting" (fatal) when the server's signature
  /// does not verify.
  result<> login(const std::string& user, const std::string& password);

  /// How to open a fresh, verified connection to the same server (the
  /// dialer's job); without one reconnect() fails.
  void set_redial(std::function<result<connection>()> redial) { redial_ = std::move(redial); }
  /// After the connection was cut (Ctrl-C in the middle of a transfer):
  /// dials again, logs in as the same user with the key kept from login()
  /// (never the password: it is not kept), and returns to the directory the
  /// session was in (the home, with a notice in `notice`, if that is gone).
  result<> reconnect(std::string& notice);

  ~session();
  session(session&&) = default;

  result<std::string> pwd();
  /// On success cwd() is the new directory.
  result<std::string> cd(const std::string& path);
  /// An empty path lists the current directory.
  result<std::vector<file_entry>> ls(const std::string& path);
  result<file_entry> stat(const std::string& path);
  result<std::string> mkdir(const std::string& path, bool parents);
  result<> rmdir(const std::string& path);
  result<> rm(const std::string& path);
  result<> mv(const std::string& from, const std::string& to);
  result<quota_info> quota();
  /// The server's digest of a remote file (lowercase hex).
  result<std::string> hash(const std::string& path, const std::string& algo);

  /// Says goodbye (best effort) and closes the connection.
  void bye();

  /// The directory the server last reported ("/" before login).
  const std::string& cwd() const noexcept { return cwd_; }
  /// "ferryd/0.1", from the hello reply.
  const std::string& server_name() const noexcept { return server_; }
  /// False once the connection is lost; every call then fails fatally.
  bool alive() const noexcept { return conn_.is_open(); }

  /// For the transfer engines, which pipeline their own requests: the
  /// connection and a fresh request id. They must read every reply of what
  /// they sent (receive_reply) before any typed op above is used again.
  connection& wire() noexcept { return conn_; }
  std::uint64_t new_id() noexcept { return next_id_++; }

 private:
  /// Stamps `request` with the next id, sends it, reads the reply into
  /// `reply` and checks its id. Replies with status >= 300 (other than 100,
  /// which is only legal when `allow_continue`) become non-fatal failures.
  result<> call(nlohmann::json& request, nlohmann::json& reply, bool allow_continue = false);

  connection conn_;
  std::uint64_t next_id_ = 1;
  std::string cwd_ = "/";
  std::string server_;
  bool server_offers_plus_ = false;  ///< hello listed SCRAM-SHA-256-PLUS
  std::string user_;
  auth::scram_key key_;  ///< from the last login, for reconnect()
  std::function<result<connection>()> redial_;

  result<> authenticate(auth::scram_client& scram);
};

/// Turns a parsed entry object of an ls/stat reply into a file_entry; missing
/// or mistyped fields keep their defaults.
file_entry entry_from_json(const nlohmann::json& j);

/// Reads the next reply, which must answer request `id` and carry an integer
/// status (100 only when `allow_continue`); returns that status. A reply that
/// does not closes the connection and is a fatal failure. `body` gets the
/// announced body size (read it or the next receive skips it).
result<int> receive_reply(connection& conn, std::uint64_t id, nlohmann::json& reply,
                          std::uint64_t& body, bool allow_continue = false);

/// The human text for a failed reply: the errc table's words for a known
/// "error" string, else the reply's "message", else "error STATUS".
std::string reply_text(const nlohmann::json& reply);

/// The reply's "message" with control characters replaced ("" when none).
std::string reply_message(const nlohmann::json& reply);

}  // namespace ferry::client
