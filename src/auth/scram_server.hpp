// Server side of one SCRAM-SHA-256 exchange, as a pure state machine. An unknown
// user gets a deterministic fake salt (HMAC of a server secret) and the same
// computations as a real one, so the replies cannot tell the two apart.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "auth/scram.hpp"

namespace ferry::auth {

class scram_server {
 public:
  /// Returns the user's verifier, or nullopt when there is no such user.
  using lookup_fn = std::function<std::optional<scram_verifier>(std::string_view user)>;

  struct step {
    enum class kind { cont, success, failure };
    kind k = kind::failure;
    std::string data;    ///< server-first ("r=..,s=..,i=..") or server-final ("v=..")
    std::string user;    ///< the user named in client-first (for logs), even on failure
    std::string reason;  ///< why it failed, for the server log only (never sent)
  };

  scram_server(lookup_fn lookup, std::string server_secret,
               int fake_iterations = default_iterations);

  /// Handles client-first ("n,,n=USER,r=CNONCE"; gs2 "n" or "y", no channel
  /// binding, no authzid other than empty). cont + server-first, or failure
  /// when malformed. Must be called once, before client_final.
  step client_first(std::string_view message);

  /// Handles client-final ("c=biws,r=NONCE,p=PROOF"). success + "v=SIG" when
  /// the proof is right; failure otherwise (also for an unknown user, after the
  /// same work).
  step client_final(std::string_view message);

 private:
  lookup_fn lookup_;
  std::string secret_;
  int fake_iterations_;
  bool real_user_ = false;
  bool started_ = false;
  std::string user_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  scram_verifier verifier_;
};

}  // namespace ferry::auth
