// FTP plaintext passwords against SCRAM verifiers, and the keyed login cache.
#include <gtest/gtest.h>

#include "auth/plain_password.hpp"
#include "auth/scram.hpp"

namespace {

using namespace ferry::auth;
using namespace std::chrono_literals;

TEST(PlainPassword, MatchesOnlyTheRightPassword) {
  const auto v = make_verifier("pencil", 4096);
  EXPECT_TRUE(verify_plain_password(v, "pencil"));
  EXPECT_FALSE(verify_plain_password(v, "pencil "));
  EXPECT_FALSE(verify_plain_password(v, ""));
}

TEST(PlainPassword, Rfc7677Verifier) {
  // RFC 7677's example user: password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, 4096 iterations.
  auto v = parse_verifier(
      "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
      "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  ASSERT_TRUE(v);
  EXPECT_TRUE(verify_plain_password(*v, "pencil"));
  EXPECT_FALSE(verify_plain_password(*v, "Pencil"));
}

TEST(LoginCache, RemembersExactTripleUntilExpiry) {
  login_cache c(60s);
  const login_cache::clock::time_point t0{std::chrono::hours(1)};
  EXPECT_FALSE(c.recently_verified("alex", "pw", "V1", t0));
  c.remember("alex", "pw", "V1", t0);
  EXPECT_TRUE(c.recently_verified("alex", "pw", "V1", t0 + 59s));
  EXPECT_FALSE(c.recently_verified("alex", "pw2", "V1", t0));
  EXPECT_FALSE(c.recently_verified("bob", "pw", "V1", t0));
  EXPECT_FALSE(c.recently_verified("alex", "pw", "V2", t0));  // password changed
  EXPECT_FALSE(c.recently_verified("alex", "pw", "V1", t0 + 61s));
  EXPECT_FALSE(c.recently_verified("alex", "pw", "V1", t0 + 1s));  // expired entry was dropped
}

TEST(LoginCache, FieldBoundariesDoNotCollide) {
  login_cache c(60s);
  const login_cache::clock::time_point t0{std::chrono::hours(1)};
  c.remember("ab", "c", "V", t0);
  EXPECT_FALSE(c.recently_verified("a", "bc", "V", t0));
}

TEST(LoginCache, BoundedSize) {
  login_cache c(60s, 8);
  const login_cache::clock::time_point t0{std::chrono::hours(1)};
  for (int i = 0; i < 100; ++i) c.remember("u" + std::to_string(i), "p", "V", t0);
  EXPECT_TRUE(c.recently_verified("u99", "p", "V", t0));
}

}  // namespace
