// The stored verifier (PostgreSQL's SCRAM-SHA-256$iter:salt$StoredKey:ServerKey)
// and the strict base64 under it: round trips, a known sample, and rejections.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/base64.hpp"
#include "auth/scram.hpp"

namespace {

using namespace ferry::auth;

// RFC 7677 "pencil" keys (salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations), as
// PostgreSQL writes them in pg_authid.rolpassword.
constexpr const char* pencil =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

TEST(Verifier, FormatParseRoundTrip) {
  const auto v = make_verifier("correct horse", 4096);
  EXPECT_EQ(v.salt.size(), salt_bytes);
  EXPECT_EQ(v.stored_key.size(), 32u);
  EXPECT_EQ(v.server_key.size(), 32u);
  const auto text = format_verifier(v);
  EXPECT_TRUE(text.starts_with("SCRAM-SHA-256$4096:"));
  const auto back = parse_verifier(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->iterations, v.iterations);
  EXPECT_EQ(back->salt, v.salt);
  EXPECT_EQ(back->stored_key, v.stored_key);
  EXPECT_EQ(back->server_key, v.server_key);
  EXPECT_EQ(format_verifier(*back), text);
}

TEST(Verifier, RandomSaltsDiffer) {
  EXPECT_NE(make_verifier("pw", 1024).salt, make_verifier("pw", 1024).salt);
}

TEST(Verifier, PostgresSampleParsesAndMatchesPencil) {
  const auto v = parse_verifier(pencil);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->iterations, 4096);
  EXPECT_EQ(base64_encode(v->salt), "W22ZaJ0SNY7soEsUEjb6gQ==");
  const auto made = make_verifier("pencil", 4096, v->salt);
  EXPECT_EQ(format_verifier(made), pencil);
}

TEST(Verifier, Rejections) {
  const std::string salt = "W22ZaJ0SNY7soEsUEjb6gQ==";
  const std::string key = "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=";
  const std::string key31 = base64_encode(std::string(31, 'k'));
  const std::string key33 = base64_encode(std::string(33, 'k'));
  const auto make = [&](const std::string& iter) {
    return "SCRAM-SHA-256$" + iter + ":" + salt + "$" + key + ":" + key;
  };
  const std::vector<std::string> cases = {
      "",
      "SCRAM-SHA-1$4096:" + salt + "$" + key + ":" + key,
      "scram-sha-256$4096:" + salt + "$" + key + ":" + key,
      "md5abcdef",
      "SCRAM-SHA-256$",
      "SCRAM-SHA-256$4096",
      "SCRAM-SHA-256$4096:" + salt,
      "SCRAM-SHA-256$4096:" + salt + "$" + key,
      "SCRAM-SHA-256$4096:" + salt + "$" + key + ":",
      "SCRAM-SHA-256$4096:" + salt + "$:" + key,
      "SCRAM-SHA-256$4096:$" + key + ":" + key,
      "SCRAM-SHA-256$4096$" + salt + ":" + key + ":" + key,
      "SCRAM-SHA-256$4096:" + salt + "$" + key31 + ":" + key,
      "SCRAM-SHA-256$4096:" + salt + "$" + key + ":" + key31,
      "SCRAM-SHA-256$4096:" + salt + "$" + key33 + ":" + key,
      "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ=$" + key + ":" + key,
      "SCRAM-SHA-256$4096:" + salt + "$" + key + ":" + key.substr(1),
      "SCRAM-SHA-256$4096:" + salt + "$" + key + ":!" + key.substr(1),
      make("0"),
      make("-1"),
      make("+4096"),
      make("04096"),
      make("10000001"),
      make("99999999999999999999"),
      make("abc"),
      make("4096 "),
      make(""),
      make("4096") + "x",
      make("4096") + "\n",
      make("4096") + " ",
      make("4096") + ":" + key,
      make("4096") + "$",
      " " + make("4096"),
  };
  for (const auto& text : cases) EXPECT_FALSE(parse_verifier(text)) << text;
  EXPECT_TRUE(parse_verifier(make("1")));
  EXPECT_TRUE(parse_verifier(make("10000000")));
}

TEST(Base64, KnownVectors) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},       {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
      {std::string("\xff\xfe\x00", 3), "//4A"}, {"n,,", "biws"},
  };
  for (const auto& [raw, text] : cases) {
    EXPECT_EQ(base64_encode(raw), text);
    EXPECT_EQ(base64_decode(text), raw) << text;
  }
}

TEST(Base64, StrictRejections) {
  const std::vector<std::string> cases = {
      "Zg",     "Zg=",   "Zm9",    "Z===",   "====",  "Zg==Zg==", "Zm=v",  "Zg==\n",
      " Zg==",  "Zm9v ", "Zm9v\n", "Zm9-",   "Zm9_",  "Zh==",     "Zm9=",  "Zm8=Zm9v",
      "Zm9vY",  "*m9v",  "Zg=A",   "Z\0==",
  };
  for (const auto& text : cases) EXPECT_FALSE(base64_decode(text)) << text;
  EXPECT_FALSE(base64_decode(std::string("Zm\0v", 4)));
}

TEST(Base64, AllBytesRoundTrip) {
  std::string raw;
  for (int i = 0; i < 256; ++i) raw.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= raw.size(); n += 37) {
    const auto part = raw.substr(0, n);
    EXPECT_EQ(base64_decode(base64_encode(part)), part);
  }
}

}  // namespace
