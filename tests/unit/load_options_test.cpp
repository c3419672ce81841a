// ferry-load's command line: defaults, both flag forms, bounds, refusals.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
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
  EXPECT_EQ(o.threads, 1u);
}

TEST(LoadOptions, ThreadsAreValidated) {
  auto r = parse({"--user", "u", "--threads", "4", "--sessions", "50"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->threads, 4u);
  r = parse({"--user", "u", "--threads=64"});
  ASSERT_TRUE(r.options) << r.error;
  EXPECT_EQ(r.options->threads, 64u);
  for (const char* bad : {"0", "65", "-1", "two", ""}) {
    r = parse({"--user", "u", "--threads", bad});
    EXPECT_FALSE(r.options) << bad;
    EXPECT_NE(r.error.find("--threads must be an integer 1..64"), std::string::npos) << r.error;
  }
}

// Every session runs on exactly one thread and keeps its global index (so its
// account and source address); the threads' shares differ by at most one.
TEST(LoadOptions, SessionsSplitOverThreads) {
  const struct {
    std::uint32_t sessions, threads, used;
  } cases[] = {{1, 1, 1}, {50, 2, 2}, {51, 2, 2}, {3, 8, 3}, {1000, 64, 64}, {7, 3, 3}};
  for (const auto& c : cases) {
    load_options o;
    o.sessions = c.sessions;
    o.threads = c.threads;
    ASSERT_EQ(thread_count(o), c.used) << c.sessions << "x" << c.threads;
    std::vector<int> seen(c.sessions, 0);
    std::size_t lo = SIZE_MAX, hi = 0;
    for (std::uint32_t t = 0; t < c.used; ++t) {
      const auto mine = thread_sessions(o, t);
      lo = std::min(lo, mine.size());
      hi = std::max(hi, mine.size());
      for (auto i : mine) {
        ASSERT_LT(i, c.sessions);
        EXPECT_EQ(i % c.used, t);
        ++seen[i];
      }
    }
    for (std::uint32_t i = 0; i < c.sessions; ++i) EXPECT_EQ(seen[i], 1) << "session " << i;
    EXPECT_LE(hi - lo, 1u);
    EXPECT_TRUE(thread_sessions(o, c.used).empty());
  }
}

TEST(LoadOptions, LoginConcurrencySplitOverThreads) {
  load_options o;
  o.sessions = 1000;
  o.login_concurrency = 128;
  o.threads = 3;
  EXPECT_EQ(thread_login_cap(o, 0) + thread_login_cap(o, 1) + thread_login_cap(o, 2), 128u);
  EXPECT_EQ(thread_login_cap(o, 0), 43u);
  EXPECT_EQ(thread_login_cap(o, 2), 42u);
  o.login_concurrency = 1;  // fewer than threads: each still gets one
  for (std::uint32_t t = 0; t < 3; ++t) EXPECT_EQ(thread_login_cap(o, t), 1u);
  o.threads = 1;
  o.login_concurrency = 128;
  EXPECT_EQ(thread_login_cap(o, 0), 128u);
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
