// Client side of SCRAM-SHA-256 and, over TLS, SCRAM-SHA-256-PLUS with
// tls-exporter channel binding (RFC 9266). It also authenticates the server:
// final() succeeds only when the server's signature proves it holds the verifier.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ferry::auth {

/// What a client may keep to log in again without the password: the
/// SaltedPassword for one salt and iteration count (RFC 5802 says clients
/// may cache it). It opens this account on a server using that verifier,
/// nothing else: the password itself is not recoverable from it.
struct scram_key {
  std::string salt;
  int iterations = 0;
  std::string salted_password;
  /// Overwrites the key material.
  void wipe() noexcept;
};

class scram_client {
 public:
  /// `nonce` is for tests (the RFC vector); empty draws a random one.
  /// `channel_binding`: nullopt without TLS; otherwise the connection's
  /// tls-exporter value (raw bytes, 32 per RFC 9266), and the client binds to
  /// it (gs2 "p=tls-exporter", mechanism SCRAM-SHA-256-PLUS). Throws
  /// std::invalid_argument when it holds an empty value.
  scram_client(std::string user, std::string password, std::string nonce = {},
               std::optional<std::string> channel_binding = std::nullopt);

  /// Over TLS, when the server did not advertise -PLUS: do not bind, and say
  /// so with gs2 flag "y" (RFC 5802: we support binding, the server seems not
  /// to), which a server that does support it refuses as a downgrade. Call
  /// before client_first(); no effect without a channel binding.
  void server_lacks_binding();

  /// "n,,n=USER,r=CNONCE", "p=tls-exporter,,n=USER,r=CNONCE" or "y,,n=USER,r=CNONCE".
  std::string client_first();

  /// Given server-first, returns client-final ("c=..,r=..,p=..", c= being
  /// base64 of the gs2 header plus, when bound, the exporter), or nullopt
  /// with `error` set (nonce not extending ours, bad salt, iterations outside
  /// [min_iterations, max_iterations], malformed).
  std::optional<std::string> client_final(std::string_view server_first, std::string& error);

  /// True when server-final carries the signature we expect ("v=..").
  bool verify_server(std::string_view server_final) const;

  /// Logs in with `key` instead of the password (which may then be empty):
  /// client_final() fails when the server's salt or iteration count differ
  /// (the password was changed). Call before client_final().
  void use_key(scram_key key);
  /// The key client_final() derived or used (empty before it ran).
  const scram_key& key() const noexcept { return key_; }

  ~scram_client();
  scram_client(const scram_client&) = delete;
  scram_client& operator=(const scram_client&) = delete;

 private:
  std::string user_;
  std::string password_;
  std::string nonce_;
  std::optional<std::string> channel_binding_;
  bool server_lacks_binding_ = false;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string expected_server_signature_;
  scram_key key_;
  bool have_key_ = false;  ///< use_key() was called
};

}  // namespace ferry::auth
