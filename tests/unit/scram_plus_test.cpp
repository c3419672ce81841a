// SCRAM-SHA-256-PLUS with tls-exporter channel binding (RFC 5802 + RFC 9266):
// the gs2 headers each side uses, round trips over a bound channel, every way a
// binding can be missing, stripped, mismatched or rewritten by a relay, and an
// unknown user over TLS still indistinguishable from a wrong password.
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/base64.hpp"
#include "auth/scram.hpp"
#include "auth/scram_client.hpp"
#include "auth/scram_server.hpp"

namespace {

using namespace ferry::auth;
using kind = scram_server::step::kind;

constexpr const char* rfc_cnonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

scram_verifier rfc_verifier() {
  return make_verifier("pencil", 4096, *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
}

scram_server make_server(std::optional<std::string> exporter) {
  std::map<std::string, scram_verifier, std::less<>> users{{"user", rfc_verifier()}};
  scram_server server(
      [users = std::move(users)](std::string_view u) -> std::optional<scram_verifier> {
        const auto it = users.find(u);
        if (it == users.end()) return std::nullopt;
        return it->second;
      },
      "server-secret");
  if (exporter) server.bind_channel(std::move(*exporter));
  return server;
}

// Two distinct 32-byte exporters, with the bytes a careless parser trips on (NUL, ',', '=').
std::string exporter_a() {
  std::string e(tls_exporter_bytes, '\0');
  for (std::size_t i = 0; i < e.size(); ++i) e[i] = static_cast<char>(i * 7);
  e[3] = ',';
  e[4] = '=';
  return e;
}
std::string exporter_b() {
  std::string e = exporter_a();
  e[31] = static_cast<char>(e[31] ^ 0x01);  // one bit away
  return e;
}

std::string attr(std::string_view msg, char name) {
  while (!msg.empty()) {
    const auto comma = msg.find(',');
    const auto part = msg.substr(0, comma);
    if (part.size() >= 2 && part[0] == name && part[1] == '=') return std::string(part.substr(2));
    msg = comma == std::string_view::npos ? std::string_view{} : msg.substr(comma + 1);
  }
  return {};
}

// Replaces the value of c= in a client-final.
std::string with_binding(std::string_view final, std::string_view raw_binding) {
  const auto comma = final.find(',');
  return "c=" + base64_encode(raw_binding) + std::string(final.substr(comma));
}

struct exchange {
  scram_server::step first;
  scram_server::step final;
  bool client_ok = false;
  bool server_verified = false;
};

exchange run(scram_server& server, scram_client& client) {
  exchange ex;
  ex.first = server.client_first(client.client_first());
  if (ex.first.k != kind::cont) return ex;
  std::string err;
  const auto final = client.client_final(ex.first.data, err);
  ex.client_ok = final.has_value();
  if (!final) return ex;
  ex.final = server.client_final(*final);
  ex.server_verified = client.verify_server(ex.final.data);
  return ex;
}

TEST(ScramPlusClient, Gs2HeaderFollowsTheChannel) {
  scram_client plain("user", "pencil", rfc_cnonce);
  EXPECT_EQ(plain.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");

  scram_client bound("user", "pencil", rfc_cnonce, exporter_a());
  EXPECT_EQ(bound.client_first(), "p=tls-exporter,,n=user,r=rOprNGfwEbeRWgbNEkqO");

  scram_client stripped("user", "pencil", rfc_cnonce, exporter_a());
  stripped.server_lacks_binding();
  EXPECT_EQ(stripped.client_first(), "y,,n=user,r=rOprNGfwEbeRWgbNEkqO");

  // Without TLS the client does not support binding at all: still "n".
  scram_client no_tls("user", "pencil", rfc_cnonce);
  no_tls.server_lacks_binding();
  EXPECT_EQ(no_tls.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
}

TEST(ScramPlusClient, ClientFinalCarriesHeaderAndExporter) {
  const struct {
    bool tls;
    bool lacks;
    std::string binding;
  } cases[] = {
      {false, false, "n,,"},
      {true, false, "p=tls-exporter,," + exporter_a()},
      {true, true, "y,,"},
  };
  for (const auto& c : cases) {
    scram_client client("user", "pencil", rfc_cnonce,
                        c.tls ? std::optional<std::string>(exporter_a()) : std::nullopt);
    if (c.lacks) client.server_lacks_binding();
    client.client_first();
    std::string err;
    const auto final = client.client_final(rfc_server_first, err);
    ASSERT_TRUE(final) << err;
    EXPECT_EQ(base64_decode(attr(*final, 'c')), c.binding) << c.binding.substr(0, 3);
  }
}

TEST(ScramPlusClient, EmptyExporterIsABug) {
  EXPECT_THROW(scram_client("user", "pencil", {}, std::string{}), std::invalid_argument);
}

TEST(ScramPlus, RoundTripWithMatchingBinding) {
  auto server = make_server(exporter_a());
  scram_client client("user", "pencil", {}, exporter_a());
  const auto ex = run(server, client);
  ASSERT_EQ(ex.first.k, kind::cont) << ex.first.reason;
  ASSERT_TRUE(ex.client_ok);
  EXPECT_EQ(ex.final.k, kind::success) << ex.final.reason;
  EXPECT_FALSE(ex.final.channel_mismatch);
  EXPECT_EQ(ex.final.user, "user");
  EXPECT_TRUE(ex.server_verified);
}

TEST(ScramPlus, RoundTripWithRandomExporter) {
  const auto exporter = random_bytes(tls_exporter_bytes);
  auto server = make_server(exporter);
  scram_client client("user", "pencil", {}, exporter);
  const auto ex = run(server, client);
  EXPECT_EQ(ex.final.k, kind::success) << ex.final.reason;
  EXPECT_TRUE(ex.server_verified);
}

TEST(ScramPlus, MismatchedExporterFails) {
  const std::vector<std::string> client_sides = {
      exporter_b(), exporter_a().substr(0, 31), exporter_a() + "x", std::string(32, '\0')};
  for (const auto& theirs : client_sides) {
    for (const std::string user : {"user", "ghost"}) {
      auto server = make_server(exporter_a());
      scram_client client(user, "pencil", {}, theirs);
      const auto ex = run(server, client);
      ASSERT_EQ(ex.first.k, kind::cont) << user;
      EXPECT_FALSE(ex.first.channel_mismatch);
      ASSERT_TRUE(ex.client_ok);
      EXPECT_EQ(ex.final.k, kind::failure) << user;
      EXPECT_TRUE(ex.final.channel_mismatch) << user;
      EXPECT_EQ(ex.final.reason, "channel binding mismatch") << user;
      EXPECT_TRUE(ex.final.data.empty());
      EXPECT_EQ(ex.final.user, user);
      EXPECT_FALSE(ex.server_verified);
    }
  }
}

TEST(ScramPlus, MismatchIsReportedEvenWithAWrongPassword) {
  auto server = make_server(exporter_a());
  scram_client client("user", "not-pencil", {}, exporter_b());
  const auto ex = run(server, client);
  EXPECT_EQ(ex.final.k, kind::failure);
  EXPECT_TRUE(ex.final.channel_mismatch);
}

TEST(ScramPlus, UnboundClientRefusedOverTls) {
  auto server = make_server(exporter_a());
  scram_client client("user", "pencil");
  const auto step = server.client_first(client.client_first());
  EXPECT_EQ(step.k, kind::failure);
  EXPECT_TRUE(step.channel_mismatch);
  EXPECT_EQ(step.reason, "client did not bind the TLS channel");
  EXPECT_EQ(step.user, "user");
  EXPECT_TRUE(step.data.empty());
  EXPECT_EQ(server.client_final("c=biws,r=abc,p=AAAA").k, kind::failure);
}

TEST(ScramPlus, StrippedPlusIsADowngrade) {
  // The client is on TLS but was told the server has no -PLUS: someone stripped it.
  auto server = make_server(exporter_a());
  scram_client client("user", "pencil", {}, exporter_a());
  client.server_lacks_binding();
  const auto step = server.client_first(client.client_first());
  EXPECT_EQ(step.k, kind::failure);
  EXPECT_TRUE(step.channel_mismatch);
  EXPECT_EQ(step.reason, "channel binding downgrade");
  EXPECT_TRUE(step.data.empty());
}

TEST(ScramPlus, YFlagAcceptedByAServerWithoutTls) {
  // Honest case of the same flag: TLS terminated elsewhere, the server really lacks -PLUS.
  auto server = make_server(std::nullopt);
  scram_client client("user", "pencil", {}, exporter_a());
  client.server_lacks_binding();
  const auto ex = run(server, client);
  EXPECT_EQ(ex.final.k, kind::success) << ex.final.reason;
  EXPECT_TRUE(ex.server_verified);
}

TEST(ScramPlus, BindingRequestWithoutTlsFails) {
  auto server = make_server(std::nullopt);
  scram_client client("user", "pencil", {}, exporter_a());
  const auto step = server.client_first(client.client_first());
  EXPECT_EQ(step.k, kind::failure);
  EXPECT_EQ(step.reason, "channel binding requested without TLS");
  EXPECT_FALSE(step.channel_mismatch);
  EXPECT_EQ(step.user, "user");
}

TEST(ScramPlus, OnlyTlsExporterIsSupported) {
  for (const std::string msg :
       {"p=tls-unique,,n=user,r=abc", "p=tls-server-end-point,,n=user,r=abc",
        "p=tls-exporterx,,n=user,r=abc", "p=TLS-EXPORTER,,n=user,r=abc", "p=,,n=user,r=abc"}) {
    auto server = make_server(exporter_a());
    const auto step = server.client_first(msg);
    EXPECT_EQ(step.k, kind::failure) << msg;
    EXPECT_EQ(step.reason, "unsupported channel binding type") << msg;
    EXPECT_FALSE(step.channel_mismatch) << msg;
  }
  for (const std::string msg : {"p=tls-exporter,a=root,n=user,r=abc", "p,,n=user,r=abc",
                                "x,,n=user,r=abc", "p=tls-exporter,,n=user"}) {
    auto server = make_server(exporter_a());
    const auto step = server.client_first(msg);
    EXPECT_EQ(step.k, kind::failure) << msg;
    EXPECT_FALSE(step.channel_mismatch) << msg;
  }
  auto server = make_server(exporter_a());
  EXPECT_EQ(server.client_first("p=tls-exporter,,n=user,r=abc,x=ext").k, kind::cont);
}

TEST(ScramPlus, RelayRewritingCBreaksTheProof) {
  // A relay terminates the client's TLS (exporter A) and opens its own to the
  // server (exporter B). It passes client-first through and rewrites c= to its
  // own channel: the binding then matches, but the proof was over the old c=.
  auto server = make_server(exporter_b());
  scram_client client("user", "pencil", {}, exporter_a());
  const auto first = server.client_first(client.client_first());
  ASSERT_EQ(first.k, kind::cont) << first.reason;
  std::string err;
  const auto final = client.client_final(first.data, err);
  ASSERT_TRUE(final) << err;
  const auto forged = with_binding(*final, "p=tls-exporter,," + exporter_b());
  ASSERT_NE(forged, *final);
  const auto step = server.client_final(forged);
  EXPECT_EQ(step.k, kind::failure);
  EXPECT_FALSE(step.channel_mismatch);
  EXPECT_EQ(step.reason, "wrong password");
  EXPECT_TRUE(step.data.empty());
}

TEST(ScramPlus, ClientFinalBindingMustBeExact) {
  const std::string header = "p=tls-exporter,,";
  const std::vector<std::string> bindings = {
      "",  // nothing at all
      "n,,",
      "y,,",
      header,                                // header without the exporter
      header + exporter_a() + "x",           // trailing byte
      header + exporter_a().substr(1),       // one byte short
      "p=tls-exporter,a," + exporter_a(),    // different header
      header + exporter_b(),                 // another channel
      exporter_a() + header,                 // wrong order
  };
  for (const auto& b : bindings) {
    auto server = make_server(exporter_a());
    scram_client client("user", "pencil", {}, exporter_a());
    const auto first = server.client_first(client.client_first());
    ASSERT_EQ(first.k, kind::cont);
    std::string err;
    const auto final = client.client_final(first.data, err);
    ASSERT_TRUE(final) << err;
    const auto step = server.client_final(with_binding(*final, b));
    EXPECT_EQ(step.k, kind::failure) << base64_encode(b);
    EXPECT_TRUE(step.data.empty()) << base64_encode(b);
    // The proof covers c=, so an edit that happens to match can only fail the proof.
    EXPECT_TRUE(step.channel_mismatch || step.reason == "wrong password") << base64_encode(b);
  }
  // And c= that is not base64 at all is malformed, not a channel verdict.
  auto server = make_server(exporter_a());
  scram_client client("user", "pencil", {}, exporter_a());
  std::string err;
  const auto final = *client.client_final(server.client_first(client.client_first()).data, err);
  const auto step = server.client_final("c=!!" + final.substr(final.find(',')));
  EXPECT_EQ(step.k, kind::failure);
  EXPECT_FALSE(step.channel_mismatch);
}

TEST(ScramPlus, UnknownUserOverTlsLooksLikeAWrongPassword) {
  auto s1 = make_server(exporter_a());
  scram_client ghost("ghost", "pencil", {}, exporter_a());
  const auto unknown = run(s1, ghost);
  auto s2 = make_server(exporter_a());
  scram_client wrong("user", "pencil2", {}, exporter_a());
  const auto bad_pw = run(s2, wrong);

  ASSERT_EQ(unknown.first.k, kind::cont);
  ASSERT_EQ(bad_pw.first.k, kind::cont);
  EXPECT_EQ(base64_decode(attr(unknown.first.data, 's'))->size(), salt_bytes);
  EXPECT_EQ(attr(unknown.first.data, 'i'), attr(bad_pw.first.data, 'i'));
  for (const auto* ex : {&unknown, &bad_pw}) {
    ASSERT_TRUE(ex->client_ok);
    EXPECT_EQ(ex->final.k, kind::failure);
    EXPECT_FALSE(ex->final.channel_mismatch);
    EXPECT_TRUE(ex->final.data.empty());
    EXPECT_FALSE(ex->server_verified);
  }
  EXPECT_EQ(unknown.final.reason, "unknown user");
  EXPECT_EQ(bad_pw.final.reason, "wrong password");
}

TEST(ScramPlus, BindChannelContract) {
  auto fresh = make_server(std::nullopt);
  EXPECT_THROW(fresh.bind_channel(""), std::invalid_argument);
  auto started = make_server(std::nullopt);
  ASSERT_EQ(started.client_first("n,,n=user,r=abc").k, kind::cont);
  EXPECT_THROW(started.bind_channel(exporter_a()), std::logic_error);
}

TEST(ScramPlus, PlainExchangeStillWorksWithoutTls) {
  auto server = make_server(std::nullopt);
  scram_client client("user", "pencil");
  const auto ex = run(server, client);
  EXPECT_EQ(ex.final.k, kind::success) << ex.final.reason;
  EXPECT_FALSE(ex.final.channel_mismatch);
  EXPECT_TRUE(ex.server_verified);
}

}  // namespace
