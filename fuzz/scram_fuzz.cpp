// Fuzz target: the SCRAM-SHA-256(-PLUS) messages a peer sends. Input: one
// flag byte, then two messages separated by the first '\n'.
//   flag bit 0: the connection is TLS (channel binding required)
//   flag bit 1: client side (a hostile server): server-first, server-final
//   otherwise:  server side: client-first, client-final
// On the server side the second message may say "%N" (the combined nonce the
// server issued), "%C" (the right c= binding) and end in ",p=%P" (the right
// proof for user "user", password "pencil", RFC 7677's test vector), so the
// fuzzer gets past the random nonce to the proof and success paths.
// Oracles: only the right proof of the known user succeeds, and then with
// the right server signature; the canonical client-final after any accepted
// client-first succeeds; every exchange is one-shot.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "auth/base64.hpp"
#include "auth/scram.hpp"
#include "auth/scram_client.hpp"
#include "auth/scram_server.hpp"
#include "fuzz_util.hpp"

namespace {

using ferry::auth::scram_server;

constexpr std::string_view user_name = "user";
constexpr std::string_view password = "pencil";
constexpr std::string_view client_nonce = "rOprNGfwEbeRWgbNEkqO";
const std::string exporter(32, '\x5a');

struct keys {
  ferry::auth::scram_verifier verifier;
  std::string client_key;
};

// PBKDF2 once per process, not per input.
const keys& user_keys() {
  static const keys k = [] {
    keys out;
    const auto salt = *ferry::auth::base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    out.verifier = ferry::auth::make_verifier(password, 4096, salt);
    const auto salted = ferry::auth::salted_password(password, salt, 4096);
    out.client_key = ferry::auth::hmac_sha256(salted, "Client Key");
    return out;
  }();
  return k;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

void server_side(bool tls, std::string_view first, std::string final_msg) {
  scram_server s(
      [](std::string_view u) -> std::optional<ferry::auth::scram_verifier> {
        if (u == user_name) return user_keys().verifier;
        return std::nullopt;
      },
      "fuzz-secret", 4096);
  if (tls) s.bind_channel(exporter);
  const auto a = s.client_first(first);
  FUZZ_CHECK(a.k != scram_server::step::kind::success);
  if (a.k == scram_server::step::kind::failure) {
    FUZZ_CHECK(a.data.empty() && !a.reason.empty());
    FUZZ_CHECK(s.client_final(final_msg).k == scram_server::step::kind::failure);
    return;
  }
  // server-first: "r=<client nonce><ours>,s=<salt>,i=<n>"
  FUZZ_CHECK(a.data.starts_with("r=") && !a.user.empty());
  const auto comma = a.data.find(',');
  FUZZ_CHECK(comma != std::string::npos);
  const std::string nonce = a.data.substr(2, comma - 2);
  const auto gs2_end = first.find(",,");
  FUZZ_CHECK(gs2_end != std::string_view::npos);
  const std::string gs2(first.substr(0, gs2_end + 2));
  const bool canonical = final_msg == "c=%C,r=%N,p=%P";

  // %C first: the binding's base64 has no '%', the client's nonce may.
  replace_all(final_msg, "%C", ferry::auth::base64_encode(gs2 + (gs2[0] == 'p' ? exporter : "")));
  replace_all(final_msg, "%N", nonce);
  std::string auth_message;
  const bool proved = final_msg.ends_with(",p=%P");
  if (proved) {
    const std::string without_proof = final_msg.substr(0, final_msg.size() - 5);
    auth_message = std::string(first.substr(gs2.size())) + "," + a.data + "," + without_proof;
    const auto& k = user_keys();
    const auto sig = ferry::auth::hmac_sha256(k.verifier.stored_key, auth_message);
    std::string proof(32, '\0');
    for (std::size_t i = 0; i < proof.size(); ++i) {
      proof[i] = static_cast<char>(k.client_key[i] ^ sig[i]);
    }
    final_msg = without_proof + ",p=" + ferry::auth::base64_encode(proof);
  }
  const auto b = s.client_final(final_msg);
  FUZZ_CHECK(b.k != scram_server::step::kind::cont);
  if (b.k == scram_server::step::kind::success) {
    // SECURITY oracle: nobody gets in without the password.
    FUZZ_CHECK(proved && a.user == user_name);
    const auto want = ferry::auth::hmac_sha256(user_keys().verifier.server_key, auth_message);
    FUZZ_CHECK(b.data == "v=" + ferry::auth::base64_encode(want));
  } else {
    FUZZ_CHECK(b.data.empty() && !b.reason.empty());
    // Any client-first the server accepted, answered the way RFC 5802 says,
    // is a successful login of the known user.
    FUZZ_CHECK(!(canonical && a.user == user_name));
  }
  // One exchange per object.
  FUZZ_CHECK(s.client_final(final_msg).k == scram_server::step::kind::failure);
  FUZZ_CHECK(s.client_first(first).k == scram_server::step::kind::failure);
}

// Refuse inputs whose iteration count would make the client run a long
// PBKDF2: a documented bound (max_iterations), not a finding.
bool cheap_iterations(std::string_view msg) {
  for (auto p = msg.find("i="); p != std::string_view::npos; p = msg.find("i=", p + 1)) {
    std::size_t v = 0;
    for (auto q = p + 2; q < msg.size() && msg[q] >= '0' && msg[q] <= '9'; ++q) {
      v = v * 10 + static_cast<std::size_t>(msg[q] - '0');
      if (v > 8192) return false;
    }
  }
  return true;
}

void client_side(bool tls, std::string_view server_first, std::string_view server_final) {
  if (!cheap_iterations(server_first)) return;
  ferry::auth::scram_client c(std::string(user_name), std::string(password),
                              std::string(client_nonce),
                              tls ? std::optional<std::string>(exporter) : std::nullopt);
  const auto first = c.client_first();
  FUZZ_CHECK(first.ends_with(",r=" + std::string(client_nonce)));
  std::string error;
  const auto final_msg = c.client_final(server_first, error);
  if (!final_msg) {
    FUZZ_CHECK(!error.empty());
    FUZZ_CHECK(!c.verify_server(server_final));
    return;
  }
  FUZZ_CHECK(final_msg->starts_with("c=") && final_msg->find(",p=") != std::string::npos);
  (void)c.verify_server(server_final);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 4096) return 0;
  const bool tls = data[0] & 1;
  const bool client = data[0] & 2;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto nl = in.find('\n');
  const auto first = in.substr(0, nl);
  const auto second = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  if (client) {
    client_side(tls, first, second);
  } else {
    server_side(tls, first, std::string(second));
  }
  return 0;
}
