// Parsing of the USER@HOST[:PORT] argument and of ports.
#include <gtest/gtest.h>

#include "client/target.hpp"

namespace {

using namespace ferry::client;

TEST(ClientTarget, Forms) {
  struct row {
    const char* text;
    const char* user;
    const char* host;
    int port;  // 0 = none
  } rows[] = {
      {"demo@127.0.0.1", "demo", "127.0.0.1", 0},
      {"demo@127.0.0.1:9022", "demo", "127.0.0.1", 9022},
      {"demo@example.org", "demo", "example.org", 0},
      {"demo@[::1]", "demo", "::1", 0},
      {"demo@[::1]:2000", "demo", "::1", 2000},
      {"demo@::1", "demo", "::1", 0},
      {"demo@fe80::1:2", "demo", "fe80::1:2", 0},
      {"host", "", "host", 0},
      {"host:1", "", "host", 1},
      {"me@corp@host:65535", "me@corp", "host", 65535},
  };
  for (const auto& r : rows) {
    std::string why;
    const auto t = parse_target(r.text, why);
    ASSERT_TRUE(t) << r.text << ": " << why;
    EXPECT_EQ(t->user, r.user) << r.text;
    EXPECT_EQ(t->host, r.host) << r.text;
    EXPECT_EQ(t->port.value_or(0), r.port) << r.text;
  }
}

TEST(ClientTarget, Errors) {
  for (const char* text : {"", "demo@", "@host", "demo@:9021", "demo@host:", "demo@host:0",
                           "demo@host:65536", "demo@host:x", "demo@[::1", "demo@[::1]x",
                           "demo@[::1]:", "demo@[]"}) {
    std::string why;
    EXPECT_FALSE(parse_target(text, why)) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
}

TEST(ClientTarget, HostPort) {
  EXPECT_EQ(host_port("127.0.0.1", 9021), "127.0.0.1:9021");
  EXPECT_EQ(host_port("::1", 9021), "[::1]:9021");
  EXPECT_EQ(host_port("example.org", 1), "example.org:1");
}

TEST(ClientTarget, Port) {
  EXPECT_EQ(parse_port("9021"), 9021);
  EXPECT_EQ(parse_port("1"), 1);
  EXPECT_EQ(parse_port("65535"), 65535);
  EXPECT_FALSE(parse_port("0"));
  EXPECT_FALSE(parse_port("65536"));
  EXPECT_FALSE(parse_port("-1"));
  EXPECT_FALSE(parse_port("12a"));
  EXPECT_FALSE(parse_port(""));
  EXPECT_FALSE(parse_port("99999999999999999999"));
}

}  // namespace
