// Server side of one SCRAM-SHA-256 / SCRAM-SHA-256-PLUS exchange, as a pure
// state machine. An unknown user gets a deterministic fake salt (HMAC of a
// server secret) and the same computations as a real one, so the replies cannot
// tell the two apart. Over TLS the caller hands in the connection's tls-exporter
// value (RFC 9266) and channel binding is then required.
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
    /// True when the failure is a channel-binding mismatch or downgrade; it
    /// does not depend on the user, so the caller may tell the client
    /// ("e=channel-bindings-dont-match"). False for every other failure.
    bool channel_mismatch = false;
  };

  scram_server(lookup_fn lookup, std::string server_secret,
               int fake_iterations = default_iterations);

  /// Declares the connection TLS with this tls-exporter value (RFC 9266: 32
  /// raw bytes, label tls_exporter_label, no context). Binding is then
  /// required: only gs2 "p=tls-exporter" is accepted. Call before
  /// client_first; throws std::invalid_argument on an empty value and
  /// std::logic_error once the exchange has started (both are caller bugs).
  void bind_channel(std::string tls_exporter);

  /// Handles client-first ("n,,n=USER,r=CNONCE"; no authzid other than
  /// empty). cont + server-first, or failure when malformed. gs2 flag: without
  /// bind_channel "n" or "y" ("p=" fails: binding requested without TLS); with
  /// it only "p=tls-exporter" ("n" and "y" fail with channel_mismatch, "y"
  /// being a stripped -PLUS downgrade). Must be called once, before client_final.
  step client_first(std::string_view message);

  /// Handles client-final ("c=B64(gs2 header + cb data),r=NONCE,p=PROOF").
  /// success + "v=SIG" when the binding and the proof are right; failure
  /// otherwise (also for an unknown user, after the same work). A binding
  /// mismatch fails with channel_mismatch, also after the proof computation.
  step client_final(std::string_view message);

 private:
  lookup_fn lookup_;
  std::string secret_;
  int fake_iterations_;
  bool real_user_ = false;
  bool started_ = false;
  std::optional<std::string> tls_exporter_;
  std::string user_;
  std::string gs2_header_;
  std::string expected_binding_;  ///< gs2 header + cb data, what c= must decode to
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  scram_verifier verifier_;
};

}  // namespace ferry::auth
