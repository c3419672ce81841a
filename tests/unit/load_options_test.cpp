// ferry-load's command line: defaults, both flag forms, bounds, refusals.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "load/load_options.hpp"

namespace ferry::load {
namespace {

parse_result parse(std::vector<std::string> args) { return parse_load_options(args); }

TEST(LoadOptions, DefaultsGiveATenSecondMix) {
  const auto r = parse({"--user", "bench"});
  ASSERT_TRUE(r.options) << r.error;
  const auto& o = *r.options;
  EXPECT_EQ(o.user, "bench");
  EXPECT_EQ(o.mode, load_mode::mix);
  EXPECT_EQ(o.mix.to_string(), "get=50,put=20,ls=20,rm=10");
  EXPECT_EQ(o.duration_s, 10);
  EXPECT_EQ(o.sessions, 1u);
  EXPECT_EQ(o.port, 9021);
  EXPECT_EQ(o.file_size, 65536u);
  EXPECT_EQ(o.tls, tls_choice::automatic);
  EXPECT_TRUE(o.key_cache);
}

TEST(LoadOptions, BothFlagFormsAndEveryMode) {
  auto r = parse({"--user=u", "--port=9100", "--sessions", "1000", "--mix=get=100", "--size", "16MiB",
                  "--ops-per-session=3", "--server-pid", "42", "--tls", "off", "--source-ips=50"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->port, 9100);
  EXPECT_EQ(r.options->sessions, 1000u);
  EXPECT_EQ(r.options->mix.to_string(), "get=100");
  EXPECT_EQ(r.options->file_size, 16u << 20);
  EXPECT_EQ(r.options->ops_per_session, 3u);
  EXPECT_EQ(r.options->duration_s, 0);  // a bound was given: no default duration
  EXPECT_EQ(r.options->server_pid, 42);
  EXPECT_EQ(r.options->tls, tls_choice::off);
  EXPECT_EQ(r.options->source_ips, 50u);

  r = parse({"--user", "u", "--logins-only", "--duration", "2.5"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->mode, load_mode::logins_only);
  EXPECT_EQ(r.options->duration_s, 2.5);

  r = parse({"--user", "u", "--idle", "10000", "--hold", "3"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->mode, load_mode::idle);
  EXPECT_EQ(r.options->sessions, 10000u);
  EXPECT_EQ(r.options->hold_s, 3);
  EXPECT_EQ(r.options->duration_s, 0);
}

TEST(LoadOptions, SessionsSpreadOverUsers) {
  auto r = parse({"--user", "bench"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(session_user(*r.options, 7), "bench");
  r = parse({"--user", "bench", "--users", "3"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(session_user(*r.options, 0), "bench1");
  EXPECT_EQ(session_user(*r.options, 2), "bench3");
  EXPECT_EQ(session_user(*r.options, 3), "bench1");
  EXPECT_FALSE(parse({"--user", "bench", "--users", "0"}).options);
}

TEST(LoadOptions, Refusals) {
  const struct {
    std::vector<std::string> args;
    const char* error_part;
  } cases[] = {
      {{}, "--user is required"},
      {{"--user", "u", "--sessions", "0"}, "--sessions"},
      {{"--user", "u", "--port", "70000"}, "--port"},
      {{"--user", "u", "--mix", "get=x"}, "weight"},
      {{"--user", "u", "--size", "lots"}, "--size"},
      {{"--user", "u", "--duration", "-1"}, "--duration"},
      {{"--user", "u", "--tls", "maybe"}, "--tls"},
      {{"--user", "u", "--work-dir", "rel"}, "--work-dir"},
      {{"--user", "u", "--frobnicate"}, "unknown option"},
      {{"--user", "u", "--logins-only=1"}, "takes no value"},
      {{"--user", "u", "--sessions"}, "needs a value"},
      {{"--user", "u", "stray"}, "unexpected argument"},
      {{"--user", "u", "--idle", "5", "--ops", "3"}, "--idle takes no"},
  };
  for (const auto& c : cases) {
    const auto r = parse(c.args);
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.error.find(c.error_part), std::string::npos) << r.error;
  }
  const auto h = parse({"--user", "u", "--help"});
  EXPECT_TRUE(h.help);
  EXPECT_NE(load_usage().find("--logins-only"), std::string::npos);
}

}  // namespace
}  // namespace ferry::load
