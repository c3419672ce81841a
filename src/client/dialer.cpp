// The TLS policy of the client: which mode, the fallback to clear text on
// loopback, and certificate pinning.
#include "client/dialer.hpp"

#include "auth/fingerprint.hpp"
#include "client/host_trust.hpp"
#include "client/known_hosts.hpp"
#include "client/target.hpp"

namespace ferry::client {

tls_mode choose_tls_mode(std::optional<bool> tls_flag, bool has_ca, const std::string& host) {
  if (tls_flag) return *tls_flag ? tls_mode::required : tls_mode::off;
  if (has_ca) return tls_mode::required;
  return is_loopback_host(host) ? tls_mode::opportunistic : tls_mode::required;
}

dialer::dialer(std::string host, std::uint16_t port, tls_plan plan, std::ostream& err)
    : host_(std::move(host)), port_(port), plan_(std::move(plan)), err_(err) {}

result<connection> dialer::dial() {
  const std::string where = host_port(host_, port_);
  auto conn = connection::open(host_, port_);
  if (!conn) return conn.error();
  if (plan_.mode == tls_mode::off || clear_only_) return conn;
  const auto started = conn->start_tls(tls_settings{host_, plan_.ca});
  if (!started) return broken(where + ": " + started.error().text);
  if (*started == tls_start::not_offered) {
    // SECURITY: clear text only where the policy allows it (loopback by
    // default), and never to a server whose certificate was pinned: it
    // spoke TLS before, so a server without TLS now is not the same one.
    if (plan_.mode == tls_mode::required) return broken(where + " does not offer TLS");
    if (!plan_.ca && is_pinned())
      return broken(where + " does not offer TLS, but its certificate is pinned in " +
                    plan_.known_hosts.string() + "; refusing clear text (use --no-tls to insist)");
    clear_only_ = true;
    return connection::open(host_, port_);
  }
  if (!plan_.ca) {
    if (auto r = check_pin(*conn); !r) return r.error();
  }
  return conn;
}

bool dialer::is_pinned() const {
  std::string error;
  const auto text = read_known_hosts(plan_.known_hosts, error);
  return !text || find_pin(*text, pin_key(host_, port_), "").status != pin_lookup::state::unknown;
}

result<> dialer::check_pin(const connection& conn) {
  const std::string der = conn.peer_certificate();
  if (der.empty()) return broken(host_port(host_, port_) + ": the server sent no certificate");
  const std::string fingerprint = auth::cert_fingerprint(der);
  if (!accepted_.empty()) {
    if (fingerprint == accepted_) return {};
    // SECURITY: accepted a moment ago (even if the pin could not be saved):
    // another certificate on the reconnect is a change, never a new question.
    return broken("certificate verification failed: " + host_port(host_, port_) +
                  " presented another certificate on reconnecting (" + fingerprint + ", accepted " +
                  accepted_ + ")");
  }
  const auto trust = verify_pin(pin_key(host_, port_), fingerprint, plan_.known_hosts, err_);
  if (!trust) return trust.error();
  if (*trust == pin_trust::accepted) {
    asked_ = true;
    accepted_ = fingerprint;
  }
  return {};
}

}  // namespace ferry::client
