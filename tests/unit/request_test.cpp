// Request envelope and typed field access.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "proto/errc.hpp"
#include "proto/request.hpp"

using namespace ferry;
using json = nlohmann::json;

TEST(Request, Envelope) {
  std::uint64_t id = 0;
  std::string why;
  auto e = proto::parse_envelope(json{{"op", "ls"}, {"id", 3}}, id, why);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->op, "ls");
  EXPECT_EQ(e->id, 3u);

  EXPECT_FALSE(proto::parse_envelope(json{{"id", 4}}, id, why));
  EXPECT_EQ(id, 4u) << "id is still echoed when op is missing";
  EXPECT_EQ(why, "missing \"op\"");
  EXPECT_FALSE(proto::parse_envelope(json{{"op", 5}, {"id", 1}}, id, why));
  EXPECT_FALSE(proto::parse_envelope(json{{"op", "ls"}}, id, why));
  EXPECT_FALSE(proto::parse_envelope(json{{"op", "ls"}, {"id", -1}}, id, why));
  EXPECT_FALSE(proto::parse_envelope(json{{"op", "ls"}, {"id", "1"}}, id, why));
}

TEST(Request, Fields) {
  json j{{"path", "/a"}, {"parents", true}, {"size", 10}, {"bad", 7}};
  proto::fields f(j);
  EXPECT_EQ(f.str("path"), "/a");
  EXPECT_TRUE(f.boolean("parents", false));
  EXPECT_EQ(f.u64("size", 0), 10u);
  EXPECT_EQ(f.u64("missing", 42), 42u);
  EXPECT_TRUE(f.ok());
  f.str("bad");
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error(), "field \"bad\" must be a string");
  f.str("missing");
  EXPECT_EQ(f.error(), "field \"bad\" must be a string") << "first error wins";

  proto::fields g(j);
  g.str("nope");
  EXPECT_EQ(g.error(), "field \"nope\" is required");
}

TEST(Errc, TableMatchesDesign) {
  EXPECT_EQ(info(errc::bad_request).status, 400);
  EXPECT_EQ(info(errc::not_authenticated).status, 401);
  EXPECT_EQ(info(errc::auth_failed).error, "auth_failed");
  EXPECT_EQ(info(errc::not_found).status, 404);
  EXPECT_EQ(info(errc::busy).status, 409);
  EXPECT_EQ(info(errc::quota_exceeded).status, 413);
  EXPECT_EQ(info(errc::checksum_mismatch).status, 422);
  EXPECT_EQ(info(errc::too_many_sessions).status, 429);
  EXPECT_EQ(info(errc::version_not_supported).status, 505);
  EXPECT_EQ(errc_from_string("not_empty"), errc::not_empty);
  EXPECT_EQ(errc_from_string("???"), errc::internal);
  std::error_code ec = errc::not_found;
  EXPECT_EQ(ec.message(), "not found");
}
