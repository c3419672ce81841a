// RFC 5802 / RFC 7677 client, with RFC 9266 tls-exporter channel binding.
// Besides proving the password, it authenticates the server: the nonce must
// extend ours, the iteration count must be sane (downgrade guard), and
// verify_server() checks the server's signature in constant time. The gs2
// header is "n,," without TLS, "p=tls-exporter,," over TLS (c= then carries
// the exporter, so the proof is bound to this TLS connection), and "y,," over
// TLS to a server that did not offer -PLUS.
#include "auth/scram_client.hpp"

#include <openssl/crypto.h>

#include <charconv>
#include <stdexcept>

#include "auth/base64.hpp"
#include "auth/scram.hpp"

namespace ferry::auth {
namespace {

constexpr std::size_t key_bytes = 32;

// Takes "x=value" off the front of `s` (up to the next ',' or the end).
std::optional<std::string_view> take(std::string_view& s, char name) {
  if (s.size() < 2 || s[0] != name || s[1] != '=') return std::nullopt;
  const auto comma = s.find(',');
  const auto value = s.substr(2, comma == std::string_view::npos ? s.npos : comma - 2);
  s = comma == std::string_view::npos ? std::string_view{} : s.substr(comma + 1);
  return value;
}

bool printable_nonce(std::string_view n) {
  for (char c : n) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == ',') return false;
  }
  return !n.empty();
}

}  // namespace

scram_client::scram_client(std::string user, std::string password, std::string nonce,
                           std::optional<std::string> channel_binding)
    : user_(std::move(user)),
      password_(std::move(password)),
      nonce_(nonce.empty() ? random_nonce() : std::move(nonce)),
      channel_binding_(std::move(channel_binding)) {
  // SECURITY: an empty exporter would bind to nothing an attacker cannot reproduce.
  if (channel_binding_ && channel_binding_->empty()) {
    throw std::invalid_argument("scram: empty tls-exporter value");
  }
}

void scram_key::wipe() noexcept {
  OPENSSL_cleanse(salted_password.data(), salted_password.size());
  salted_password.clear();
}

scram_client::~scram_client() {
  key_.wipe();
  OPENSSL_cleanse(password_.data(), password_.size());
}

void scram_client::server_lacks_binding() { server_lacks_binding_ = true; }

void scram_client::use_key(scram_key key) {
  key_.wipe();
  key_ = std::move(key);
  have_key_ = true;
}

std::string scram_client::client_first() {
  if (!channel_binding_) {
    gs2_header_ = "n,,";
  } else if (server_lacks_binding_) {
    gs2_header_ = "y,,";
  } else {
    gs2_header_ = "p=" + std::string(tls_exporter_cb_name) + ",,";
  }
  client_first_bare_ = "n=" + escape_saslname(user_) + ",r=" + nonce_;
  return gs2_header_ + client_first_bare_;
}

std::optional<std::string> scram_client::client_final(std::string_view server_first,
                                                      std::string& error) {
  if (client_first_bare_.empty()) client_first();
  std::string_view rest = server_first;
  if (rest.starts_with("m=")) {
    error = "server requires an unsupported extension";
    return std::nullopt;
  }
  const auto nonce = take(rest, 'r');
  const auto salt_b64 = nonce ? take(rest, 's') : std::nullopt;
  const auto iter_text = salt_b64 ? take(rest, 'i') : std::nullopt;
  if (!iter_text) {
    error = "malformed server-first message";
    return std::nullopt;
  }
  // SECURITY: the server nonce must extend ours, or this is not our exchange.
  if (!nonce->starts_with(nonce_) || nonce->size() <= nonce_.size() || !printable_nonce(*nonce)) {
    error = "server nonce does not extend the client nonce";
    return std::nullopt;
  }
  const auto salt = base64_decode(*salt_b64);
  if (!salt || salt->empty()) {
    error = "bad salt in server-first message";
    return std::nullopt;
  }
  int iterations = 0;
  const auto [end, ec] =
      std::from_chars(iter_text->data(), iter_text->data() + iter_text->size(), iterations);
  // SECURITY: refuse weak (downgrade) and absurd (denial of service) iteration counts.
  if (ec != std::errc{} || end != iter_text->data() + iter_text->size() ||
      iterations < min_iterations || iterations > max_iterations) {
    error = "iteration count out of range";
    return std::nullopt;
  }

  if (have_key_) {
    if (key_.salt != *salt || key_.iterations != iterations) {
      error = "the account's password changed on the server";
      return std::nullopt;
    }
  } else {
    key_.wipe();
    key_ = scram_key{*salt, iterations, salted_password(password_, *salt, iterations)};
  }
  const std::string& salted = key_.salted_password;
  std::string client_key = hmac_sha256(salted, "Client Key");
  const std::string stored_key = sha256(client_key);
  std::string server_key = hmac_sha256(salted, "Server Key");

  // c= is in the AuthMessage, so the proof covers the header and the exporter.
  std::string binding = gs2_header_;
  if (gs2_header_.starts_with("p=")) binding += *channel_binding_;
  std::string without_proof = "c=" + base64_encode(binding) + ",r=";
  without_proof += *nonce;
  std::string auth_message = client_first_bare_;
  auth_message += ',';
  auth_message += server_first;
  auth_message += ',';
  auth_message += without_proof;

  const std::string client_signature = hmac_sha256(stored_key, auth_message);
  std::string proof(key_bytes, '\0');
  for (std::size_t i = 0; i < key_bytes; ++i) {
    proof[i] = static_cast<char>(client_key[i] ^ client_signature[i]);
  }
  expected_server_signature_ = hmac_sha256(server_key, auth_message);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  OPENSSL_cleanse(server_key.data(), server_key.size());
  return without_proof + ",p=" + base64_encode(proof);
}

bool scram_client::verify_server(std::string_view server_final) const {
  if (expected_server_signature_.empty()) return false;
  std::string_view rest = server_final;
  const auto sig_b64 = take(rest, 'v');  // "e=..." (a server error) fails here
  if (!sig_b64) return false;
  const auto sig = base64_decode(*sig_b64);
  if (!sig || sig->size() != expected_server_signature_.size()) return false;
  // SECURITY: constant-time compare of the server's proof of the verifier.
  return CRYPTO_memcmp(sig->data(), expected_server_signature_.data(), sig->size()) == 0;
}

}  // namespace ferry::auth
