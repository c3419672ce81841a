// Getting a connection the session may log in on: TCP, then TLS as the
// policy says (ferry(1): required unless the host is loopback, where it is
// used when the server offers it), with the server's certificate verified
// before anything is sent: its chain and name with --ca, else its pin in
// known_hosts (trust on first use, host_trust.hpp).
#pragma once
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>

#include "client/connection.hpp"
#include "client/result.hpp"

namespace ferry::client {

enum class tls_mode {
  off,            ///< --no-tls: clear text only
  opportunistic,  ///< loopback default: TLS when the server offers it, else clear text
  required,       ///< --tls, --ca, or a host that is not loopback
};

/// The mode for `host` given --tls (`tls_flag` true), --no-tls (false) or
/// neither, and whether --ca was given (which requires TLS).
tls_mode choose_tls_mode(std::optional<bool> tls_flag, bool has_ca, const std::string& host);

struct tls_plan {
  tls_mode mode = tls_mode::required;
  std::optional<std::string> ca;      ///< --ca FILE|system; known_hosts is not used then
  std::filesystem::path known_hosts;  ///< the pins, used without `ca`
};

class dialer {
 public:
  /// `err` receives warnings (a changed certificate); one-line failures come
  /// back as results. Single-threaded.
  dialer(std::string host, std::uint16_t port, tls_plan plan, std::ostream& err);

  /// A new connection, verified. Failure texts (fatal, for "ferry: TEXT"):
  /// "cannot connect to ...", "HOST:PORT does not offer TLS", "HOST:PORT:
  /// certificate verify failed: REASON", "certificate verification failed: ...", ...
  /// In opportunistic mode the server's lack of TLS is remembered: later
  /// calls connect in clear at once.
  result<connection> dial();

  /// True once dial() has waited for the user (the certificate question):
  /// the server may have timed that connection out, so dial again.
  bool asked_user() const noexcept { return asked_; }

 private:
  /// Checks the certificate of an established TLS connection by its pin.
  /// known_hosts pins a certificate for this server (an unreadable file
  /// counts as pinned: fail closed).
  bool is_pinned() const;
  result<> check_pin(const connection& conn);

  std::string host_;
  std::uint16_t port_;
  tls_plan plan_;
  std::ostream& err_;
  bool clear_only_ = false;  ///< learnt: the server has no TLS (opportunistic mode)
  bool asked_ = false;
  std::string accepted_;     ///< a fingerprint the user accepted in this run
};

}  // namespace ferry::client
