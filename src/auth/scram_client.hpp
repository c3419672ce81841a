// Client side of SCRAM-SHA-256. It also authenticates the server: final()
// succeeds only when the server's signature proves it holds the verifier.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace ferry::auth {

class scram_client {
 public:
  /// `nonce` is for tests (the RFC vector); empty draws a random one.
  scram_client(std::string user, std::string password, std::string nonce = {});

  /// "n,,n=USER,r=CNONCE"
  std::string client_first();

  /// Given server-first, returns client-final ("c=biws,r=..,p=.."), or nullopt
  /// with `error` set (nonce not extending ours, bad salt, iterations outside
  /// [min_iterations, max_iterations], malformed).
  std::optional<std::string> client_final(std::string_view server_first, std::string& error);

  /// True when server-final carries the signature we expect ("v=..").
  bool verify_server(std::string_view server_final) const;

 private:
  std::string user_;
  std::string password_;
  std::string nonce_;
  std::string client_first_bare_;
  std::string expected_server_signature_;
};

}  // namespace ferry::auth
