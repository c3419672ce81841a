// SCRAM-SHA-256 client and server: the RFC 7677 vector, full round trips,
// unknown users indistinguishable from real ones, and table-driven malformed
// and out-of-order messages that must fail without crashing.
#include <gtest/gtest.h>

#include <map>
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
constexpr const char* rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

scram_verifier rfc_verifier() {
  return make_verifier("pencil", 4096, *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
}

// A server that knows the given users (name -> verifier).
scram_server make_server(std::map<std::string, scram_verifier, std::less<>> users,
                         std::string secret = "server-secret") {
  return scram_server(
      [users = std::move(users)](std::string_view u) -> std::optional<scram_verifier> {
        const auto it = users.find(u);
        if (it == users.end()) return std::nullopt;
        return it->second;
      },
      std::move(secret));
}

std::map<std::string, std::string> attrs(std::string_view msg) {
  std::map<std::string, std::string> out;
  while (!msg.empty()) {
    const auto comma = msg.find(',');
    const auto part = msg.substr(0, comma);
    out[std::string(part.substr(0, 1))] = std::string(part.substr(2));
    msg = comma == std::string_view::npos ? std::string_view{} : msg.substr(comma + 1);
  }
  return out;
}

struct exchange {
  scram_server::step first;
  scram_server::step final;
  bool client_ok = false;
  bool server_verified = false;
};

exchange run(scram_server& server, const std::string& user, const std::string& password) {
  scram_client client(user, password);
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

TEST(ScramClient, Rfc7677Vector) {
  scram_client client("user", "pencil", rfc_cnonce);
  EXPECT_EQ(client.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  std::string err;
  const auto final = client.client_final(rfc_server_first, err);
  ASSERT_TRUE(final) << err;
  EXPECT_EQ(*final, rfc_client_final);
  EXPECT_TRUE(client.verify_server(rfc_server_final));
  EXPECT_FALSE(client.verify_server("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
  EXPECT_FALSE(client.verify_server("e=invalid-proof"));
  EXPECT_FALSE(client.verify_server(""));
}

TEST(ScramVerifier, Rfc7677KeysGiveTheRfcServerSignature) {
  // No fixed server nonce is needed: the RFC's AuthMessage is rebuilt here.
  const auto v = rfc_verifier();
  const std::string auth_message = std::string("n=user,r=") + rfc_cnonce + "," +
                                   rfc_server_first + "," +
                                   "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  EXPECT_EQ("v=" + base64_encode(hmac_sha256(v.server_key, auth_message)), rfc_server_final);
  // And the RFC proof opens to StoredKey.
  const auto proof = *base64_decode("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  const auto sig = hmac_sha256(v.stored_key, auth_message);
  std::string client_key(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) client_key[i] = static_cast<char>(proof[i] ^ sig[i]);
  EXPECT_EQ(sha256(client_key), v.stored_key);
}

TEST(ScramServer, RoundTripWithRfcVerifier) {
  auto server = make_server({{"user", rfc_verifier()}});
  const auto ex = run(server, "user", "pencil");
  ASSERT_EQ(ex.first.k, kind::cont) << ex.first.reason;
  const auto a = attrs(ex.first.data);
  EXPECT_EQ(a.at("s"), "W22ZaJ0SNY7soEsUEjb6gQ==");
  EXPECT_EQ(a.at("i"), "4096");
  ASSERT_TRUE(ex.client_ok);
  EXPECT_EQ(ex.final.k, kind::success) << ex.final.reason;
  EXPECT_EQ(ex.final.user, "user");
  EXPECT_TRUE(ex.server_verified);
}

TEST(ScramServer, WrongPasswordFails) {
  auto server = make_server({{"user", rfc_verifier()}});
  const auto ex = run(server, "user", "pencil2");
  ASSERT_TRUE(ex.client_ok);
  EXPECT_EQ(ex.final.k, kind::failure);
  EXPECT_EQ(ex.final.user, "user");
  EXPECT_TRUE(ex.final.data.empty());
  EXPECT_FALSE(ex.final.reason.empty());
  EXPECT_FALSE(ex.server_verified);
}

TEST(ScramServer, UnknownUserLooksLikeARealOne) {
  auto server = make_server({{"user", rfc_verifier()}});
  const auto ex = run(server, "ghost", "pencil");
  ASSERT_EQ(ex.first.k, kind::cont);
  const auto a = attrs(ex.first.data);
  EXPECT_EQ(base64_decode(a.at("s"))->size(), salt_bytes);
  EXPECT_EQ(a.at("i"), "4096");
  ASSERT_TRUE(ex.client_ok);
  EXPECT_EQ(ex.final.k, kind::failure);
  EXPECT_EQ(ex.final.user, "ghost");
  EXPECT_TRUE(ex.final.data.empty());
}

TEST(ScramServer, UnknownUserSaltStablePerSecret) {
  const auto salt_of = [](const std::string& secret, const std::string& user) {
    auto server = make_server({}, secret);
    scram_client client(user, "x");
    const auto step = server.client_first(client.client_first());
    EXPECT_EQ(step.k, kind::cont);
    return attrs(step.data).at("s");
  };
  EXPECT_EQ(salt_of("s1", "ghost"), salt_of("s1", "ghost"));
  EXPECT_NE(salt_of("s1", "ghost"), salt_of("s2", "ghost"));
  EXPECT_NE(salt_of("s1", "ghost"), salt_of("s1", "ghost2"));
}

TEST(ScramServer, FakeIterationsAreUsed) {
  scram_server server([](std::string_view) { return std::nullopt; }, "k", 8192);
  const auto step = server.client_first("n,,n=ghost,r=abc");
  EXPECT_EQ(attrs(step.data).at("i"), "8192");
}

TEST(ScramServer, MalformedClientFirstFails) {
  const std::vector<std::string> cases = {
      "", "n", "n,", "n,,", ",,n=user,r=abc", "x,,n=user,r=abc", "nn,,n=user,r=abc",
      "p=tls-unique,,n=user,r=abc", "n,a=admin,n=user,r=abc", "n,,r=abc", "n,,n=user",
      "n,,n=user,r=", "n,,m=ext,n=user,r=abc", "n,,n=user,r=ab\x01" "c", "n,,n=user,r=a b",
      "n,,n=user,r=abc\x7f", "n,,n=us=er,r=abc", "n,,n=us=2c,r=abc", "n,,n=,r=abc",
      "n,,n=user,r=abc,", "n,,n=user,r=abc,1=x", "n,,n=user,r=abc,x", "n,,r=abc,n=user",
      std::string("n,,n=us\0er,r=abc", 16), "n,,n=" + std::string(300, 'a') + ",r=abc",
  };
  for (const auto& msg : cases) {
    auto server = make_server({{"user", rfc_verifier()}});
    const auto step = server.client_first(msg);
    EXPECT_EQ(step.k, kind::failure) << msg;
    EXPECT_TRUE(step.data.empty()) << msg;
    EXPECT_FALSE(step.reason.empty()) << msg;
    // Nothing after a failed start.
    EXPECT_EQ(server.client_final("c=biws,r=abc,p=AAAA").k, kind::failure) << msg;
  }
}

TEST(ScramServer, RefusedClientFirstStillNamesTheUser) {
  for (const std::string msg : {"p=tls-unique,,n=alex,r=abc", "n,a=root,n=alex,r=abc",
                                "n,,n=alex,r=a,b", "n,,n=alex"}) {
    auto server = make_server({});
    const auto step = server.client_first(msg);
    EXPECT_EQ(step.k, kind::failure) << msg;
    EXPECT_EQ(step.user, "alex") << msg;
  }
}

TEST(ScramServer, AcceptableClientFirstVariants) {
  for (const std::string msg : {"n,,n=user,r=abc", "y,,n=user,r=abc", "n,,n=user,r=abc,x=ext"}) {
    auto server = make_server({{"user", rfc_verifier()}});
    EXPECT_EQ(server.client_first(msg).k, kind::cont) << msg;
  }
}

// Each case rewrites a valid client-final; {N} = combined nonce, {P} = proof.
TEST(ScramServer, MalformedClientFinalFails) {
  const std::vector<std::string> cases = {
      "", "c=biws", "c=biws,r={N}", "c=biws,r={N},p=", "c=biws,r={N},p=!!!!",
      "c=biws,r={N},p={P},x=1", "c=biws,r={N},p={P}=", "c=eSws,r={N},p={P}",
      "c=biws=,r={N},p={P}", "c=,r={N},p={P}", "r={N},c=biws,p={P}", "c=biws,r={N}x,p={P}",
      "c=biws,r=rOprNGfwEbeRWgbNEkqO,p={P}", "c=biws,p={P}", "c=biws,r={N},1=x,p={P}",
      "c=cCxuLGE=,r={N},p={P}", "c=biws,r={N},p=AAAA",
  };
  for (const auto& pattern : cases) {
    auto server = make_server({{"user", rfc_verifier()}});
    scram_client client("user", "pencil", rfc_cnonce);
    const auto first = server.client_first(client.client_first());
    ASSERT_EQ(first.k, kind::cont);
    std::string err;
    const auto good = client.client_final(first.data, err);
    ASSERT_TRUE(good) << err;
    const auto a = attrs(*good);
    std::string msg = pattern;
    for (auto pos = msg.find("{N}"); pos != std::string::npos; pos = msg.find("{N}")) {
      msg.replace(pos, 3, a.at("r"));
    }
    for (auto pos = msg.find("{P}"); pos != std::string::npos; pos = msg.find("{P}")) {
      msg.replace(pos, 3, a.at("p"));
    }
    const auto step = server.client_final(msg);
    EXPECT_EQ(step.k, kind::failure) << pattern;
    EXPECT_EQ(step.user, "user") << pattern;
    EXPECT_TRUE(step.data.empty()) << pattern;
    EXPECT_EQ(step.reason.find(a.at("p")), std::string::npos) << pattern;
  }
}

TEST(ScramServer, TamperedProofFails) {
  auto server = make_server({{"user", rfc_verifier()}});
  scram_client client("user", "pencil");
  const auto first = server.client_first(client.client_first());
  std::string err;
  auto final = *client.client_final(first.data, err);
  const auto p = final.rfind(",p=");
  auto proof = *base64_decode(final.substr(p + 3));
  proof[5] = static_cast<char>(proof[5] ^ 0x01);
  final = final.substr(0, p + 3) + base64_encode(proof);
  const auto step = server.client_final(final);
  EXPECT_EQ(step.k, kind::failure);
  EXPECT_EQ(step.reason.find(base64_encode(proof)), std::string::npos);
}

TEST(ScramServer, ReplayedClientFinalFails) {
  scram_client client("user", "pencil", rfc_cnonce);
  auto first_server = make_server({{"user", rfc_verifier()}});
  std::string err;
  const auto final =
      *client.client_final(first_server.client_first(client.client_first()).data, err);
  ASSERT_EQ(first_server.client_final(final).k, kind::success);

  // Same client-first again: a new server nonce, so the old final must not pass.
  auto second_server = make_server({{"user", rfc_verifier()}});
  ASSERT_EQ(second_server.client_first(client.client_first()).k, kind::cont);
  EXPECT_EQ(second_server.client_final(final).k, kind::failure);
}

TEST(ScramServer, OutOfOrderCallsFail) {
  auto server = make_server({{"user", rfc_verifier()}});
  EXPECT_EQ(server.client_final("c=biws,r=abc,p=AAAA").k, kind::failure);

  auto s2 = make_server({{"user", rfc_verifier()}});
  scram_client client("user", "pencil");
  const auto cf = client.client_first();
  const auto first = s2.client_first(cf);
  ASSERT_EQ(first.k, kind::cont);
  EXPECT_EQ(s2.client_first(cf).k, kind::failure);
  std::string err;
  const auto final = *client.client_final(first.data, err);
  EXPECT_EQ(s2.client_final(final).k, kind::success);
  EXPECT_EQ(s2.client_final(final).k, kind::failure);
}

TEST(ScramServer, ServerNoncesAreFreshAndExtendTheClients) {
  auto s1 = make_server({{"user", rfc_verifier()}});
  auto s2 = make_server({{"user", rfc_verifier()}});
  const auto r1 = attrs(s1.client_first("n,,n=user,r=abc").data).at("r");
  const auto r2 = attrs(s2.client_first("n,,n=user,r=abc").data).at("r");
  EXPECT_TRUE(r1.starts_with("abc"));
  EXPECT_GT(r1.size(), 3 + 16);
  EXPECT_NE(r1, r2);
}

TEST(ScramClient, RejectsBadServerFirst) {
  const std::vector<std::string> cases = {
      "", "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // not extended
      "r=XXprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // not ours
      "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ=,i=4096",   // bad base64
      "r=rOprNGfwEbeRWgbNEkqOabc,s=,i=4096",                          // empty salt
      "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1023",  // downgrade
      "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=10000001",
      "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096x",
      "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=",
      "r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==",
      "r=rOprNGfwEbeRWgbNEkqOa,c,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "s=W22ZaJ0SNY7soEsUEjb6gQ==,r=rOprNGfwEbeRWgbNEkqOabc,i=4096",
      "m=x,r=rOprNGfwEbeRWgbNEkqOabc,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
      "e=other-error",
  };
  for (const auto& msg : cases) {
    scram_client client("user", "pencil", rfc_cnonce);
    client.client_first();
    std::string err;
    EXPECT_FALSE(client.client_final(msg, err)) << msg;
    EXPECT_FALSE(err.empty()) << msg;
    EXPECT_FALSE(client.verify_server(rfc_server_final)) << msg;
  }
}

TEST(Saslname, EscapingRoundTrip) {
  EXPECT_EQ(escape_saslname("a,b=c"), "a=2Cb=3Dc");
  EXPECT_EQ(unescape_saslname("a=2Cb=3Dc"), "a,b=c");
  for (const std::string name : {"", "plain", ",", "=", "==,,", "=2C", "x=3D,y"}) {
    EXPECT_EQ(unescape_saslname(escape_saslname(name)), name) << name;
  }
  for (const std::string bad : {"=", "=2", "=2c", "=3d", "=4A", "a,b", "x=", "=ZZ"}) {
    EXPECT_FALSE(unescape_saslname(bad)) << bad;
  }
}

TEST(ScramServer, EscapedUserNameRoundTrip) {
  const std::string odd = "we,ird=name";
  auto server = make_server({{odd, make_verifier("pw", 4096)}});
  const auto ex = run(server, odd, "pw");
  EXPECT_EQ(ex.first.user, odd);
  EXPECT_EQ(ex.final.k, kind::success) << ex.final.reason;
  EXPECT_TRUE(ex.server_verified);
}

TEST(ScramServer, BrokenVerifierFromLookupFailsSafely) {
  scram_verifier broken = rfc_verifier();
  broken.stored_key.resize(31);
  auto server = make_server({{"user", broken}});
  const auto ex = run(server, "user", "pencil");
  EXPECT_EQ(ex.first.k, kind::cont);
  EXPECT_EQ(ex.final.k, kind::failure);
}

TEST(Scram, RandomNonceAlphabet) {
  const auto n = random_nonce(64);
  EXPECT_EQ(n.size(), 64u);
  EXPECT_EQ(n.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
            std::string::npos);
  EXPECT_NE(random_nonce(), random_nonce());
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(17).size(), 17u);
}

}  // namespace
