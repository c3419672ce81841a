// RFC 5802 / RFC 7677 server state machine, with RFC 9266 tls-exporter channel
// binding for SCRAM-SHA-256-PLUS. Unknown users get a fake verifier derived
// from the server secret (stable per user and secret), and client_final runs
// the same HMACs for them as for real users before failing, so neither the
// replies nor the work done reveal whether a user exists. Channel binding is
// checked twice: client-first must ask for it exactly when the connection is
// TLS, and client-final's c= must carry this connection's exporter; a mismatch
// does not depend on the user and is reported as such. State: fresh ->
// (client_first) -> waiting for client-final -> (client_final) -> done; any
// other order fails.
#include "auth/scram_server.hpp"

#include <openssl/crypto.h>

#include <stdexcept>
#include <vector>

#include "auth/base64.hpp"

namespace ferry::auth {
namespace {

constexpr std::size_t max_user_bytes = 255;
constexpr std::size_t proof_bytes = 32;

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (;;) {
    const auto comma = s.find(',');
    parts.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) return parts;
    s.remove_prefix(comma + 1);
  }
}

bool is_attr(std::string_view part, char name) {
  return part.size() >= 2 && part[0] == name && part[1] == '=';
}

// RFC 5802 extensions: a letter, '=', a value. Unknown ones are ignored.
bool valid_extensions(const std::vector<std::string_view>& parts, std::size_t from) {
  for (std::size_t i = from; i < parts.size(); ++i) {
    const auto p = parts[i];
    if (p.size() < 2 || p[1] != '=') return false;
    const char c = p[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
  }
  return true;
}

// RFC 5802 "printable": 0x21..0x7e except ','.
bool printable_nonce(std::string_view n) {
  if (n.empty()) return false;
  for (char c : n) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == ',') return false;
  }
  return true;
}

bool loggable_user(std::string_view u) {
  if (u.empty() || u.size() > max_user_bytes) return false;
  for (char c : u) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) return false;
  }
  return true;
}

bool usable(const scram_verifier& v) {
  return v.iterations >= 1 && v.iterations <= max_iterations && !v.salt.empty() &&
         v.stored_key.size() == proof_bytes && v.server_key.size() == proof_bytes;
}

// An empty secret would make fake salts predictable; use a per-process random one.
const std::string& process_secret() {
  static const std::string secret = random_bytes(32);
  return secret;
}

}  // namespace

scram_server::scram_server(lookup_fn lookup, std::string server_secret, int fake_iterations)
    : lookup_(std::move(lookup)),
      secret_(server_secret.empty() ? process_secret() : std::move(server_secret)),
      fake_iterations_(fake_iterations) {}

void scram_server::bind_channel(std::string tls_exporter) {
  // SECURITY: an empty exporter would bind to nothing an attacker cannot reproduce.
  if (tls_exporter.empty()) throw std::invalid_argument("scram: empty tls-exporter value");
  if (started_) throw std::logic_error("scram: bind_channel after client-first");
  tls_exporter_ = std::move(tls_exporter);
}

scram_server::step scram_server::client_first(std::string_view message) {
  step out;
  const auto fail = [&out](std::string why) {
    out.k = step::kind::failure;
    out.reason = std::move(why);
    return out;
  };
  const auto unbound = [&out, &fail](std::string why) {
    out.channel_mismatch = true;
    return fail(std::move(why));
  };
  // SECURITY: one exchange per object; a second client-first is an error.
  if (started_) return fail("client-first out of order");
  started_ = true;

  const auto parts = split(message);
  // The name is read first so that even a refused exchange can be logged with it.
  if (parts.size() >= 3 && is_attr(parts[2], 'n')) {
    const auto name = unescape_saslname(parts[2].substr(2));
    // SECURITY: only well-formed, loggable names reach lookup and the logs.
    if (name && loggable_user(*name)) out.user = *name;
  }
  if (parts.size() < 4) return fail("malformed client-first");
  const auto flag = parts[0];
  const bool binds = is_attr(flag, 'p');
  if (binds) {
    // SECURITY: a binding to a channel we cannot see would bind nothing.
    if (!tls_exporter_) return fail("channel binding requested without TLS");
    if (flag.substr(2) != tls_exporter_cb_name) return fail("unsupported channel binding type");
  } else if (flag == "n" || flag == "y") {
    // SECURITY: over TLS binding is required. "y" means the client supports it
    // but believes we do not; we advertised -PLUS, so someone stripped it
    // (RFC 5802 section 6: the server must fail a "y" when it supports binding).
    if (tls_exporter_ && flag == "y") return unbound("channel binding downgrade");
    if (tls_exporter_) return unbound("client did not bind the TLS channel");
  } else {
    // SECURITY: gs2 flag must be exactly "n", "y" or "p=<cb-name>".
    return fail("malformed gs2 header");
  }
  if (!parts[1].empty()) return fail("authzid not supported");
  if (is_attr(parts[2], 'm')) return fail("mandatory extension not supported");
  if (!is_attr(parts[2], 'n')) return fail("missing user name");

  if (out.user.empty()) return fail("bad user name");
  const std::string& user = out.user;

  if (!is_attr(parts[3], 'r')) return fail("missing nonce");
  const auto cnonce = parts[3].substr(2);
  if (!printable_nonce(cnonce)) return fail("bad client nonce");
  if (!valid_extensions(parts, 4)) return fail("malformed extension");

  // The fake is always computed, so real and unknown users cost the same.
  scram_verifier fake;
  fake.iterations = fake_iterations_;
  fake.salt = hmac_sha256(secret_, "salt:" + user).substr(0, salt_bytes);
  fake.stored_key = hmac_sha256(secret_, "stored:" + user);
  fake.server_key = hmac_sha256(secret_, "server:" + user);
  auto real = lookup_ ? lookup_(user) : std::nullopt;
  real_user_ = real && usable(*real);
  verifier_ = real_user_ ? std::move(*real) : std::move(fake);

  user_ = user;
  gs2_header_ = std::string(flag) + ",,";
  client_first_bare_ = std::string(message.substr(gs2_header_.size()));
  expected_binding_ = gs2_header_;
  if (binds) expected_binding_ += *tls_exporter_;
  nonce_ = std::string(cnonce) + random_nonce();
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(verifier_.salt) +
                  ",i=" + std::to_string(verifier_.iterations);
  out.k = step::kind::cont;
  out.data = server_first_;
  return out;
}

scram_server::step scram_server::client_final(std::string_view message) {
  step out;
  out.user = user_;
  const auto fail = [&out](std::string why) {
    out.k = step::kind::failure;
    out.reason = std::move(why);
    return out;
  };
  // SECURITY: only after a successful client-first, and only once.
  if (!started_ || server_first_.empty()) return fail("client-final out of order");
  const std::string server_first = std::move(server_first_);
  server_first_.clear();

  const auto p = message.rfind(",p=");
  if (p == std::string_view::npos) return fail("missing proof");
  const auto without_proof = message.substr(0, p);
  const auto proof = base64_decode(message.substr(p + 3));
  if (!proof || proof->size() != proof_bytes) return fail("bad proof encoding");

  const auto parts = split(without_proof);
  if (parts.size() < 2 || !is_attr(parts[0], 'c') || !is_attr(parts[1], 'r')) {
    return fail("malformed client-final");
  }
  const auto binding = base64_decode(parts[0].substr(2));
  if (!binding) return fail("bad channel binding encoding");
  // SECURITY: c= must repeat the gs2 header exactly and, under "p=", carry this
  // connection's exporter: a relay between two TLS connections cannot match
  // both, and rewriting c= breaks the proof (c= is in the AuthMessage).
  // Constant-time, and judged only after the proof work below.
  const bool bound =
      binding->size() == expected_binding_.size() &&
      CRYPTO_memcmp(binding->data(), expected_binding_.data(), binding->size()) == 0;
  // SECURITY: the nonce must be exactly the combined one we issued (no replay).
  if (parts[1].substr(2) != nonce_) return fail("nonce mismatch");
  if (!valid_extensions(parts, 2)) return fail("malformed extension");

  std::string auth_message = client_first_bare_;
  auth_message += ',';
  auth_message += server_first;
  auth_message += ',';
  auth_message += without_proof;

  const std::string client_signature = hmac_sha256(verifier_.stored_key, auth_message);
  std::string client_key(proof_bytes, '\0');
  for (std::size_t i = 0; i < proof_bytes; ++i) {
    client_key[i] = static_cast<char>((*proof)[i] ^ client_signature[i]);
  }
  const std::string stored = sha256(client_key);
  const std::string server_signature = hmac_sha256(verifier_.server_key, auth_message);
  // SECURITY: constant-time compare; an unknown user fails after the same work.
  const bool match = CRYPTO_memcmp(stored.data(), verifier_.stored_key.data(), proof_bytes) == 0;
  // A binding mismatch does not depend on the user, so it may be told apart.
  if (!bound) {
    out.channel_mismatch = true;
    return fail("channel binding mismatch");
  }
  if (!real_user_) return fail("unknown user");
  if (!match) return fail("wrong password");

  out.k = step::kind::success;
  out.data = "v=" + base64_encode(server_signature);
  return out;
}

}  // namespace ferry::auth
