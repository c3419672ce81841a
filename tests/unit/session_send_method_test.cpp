// The send method choice: names, parsing, and picking the fastest measured
// (copy when nothing was measured); the server's shared choice.
#include <gtest/gtest.h>

#include "session/send_method.hpp"

namespace {

using namespace ferry::session;

TEST(SendMethod, NamesRoundTripAndAutoIsNotAMethod) {
  for (auto m : all_send_methods) EXPECT_EQ(parse_send_method(name(m)), m);
  EXPECT_FALSE(parse_send_method("auto"));
  EXPECT_FALSE(parse_send_method("Sendfile"));
  EXPECT_FALSE(parse_send_method(""));
}

TEST(SendMethod, NothingMeasuredMeansCopy) {
  send_figures f;
  EXPECT_FALSE(f.measured());
  const auto c = choose(f);
  EXPECT_EQ(c.plain, send_method::copy);
  EXPECT_EQ(c.hashed, send_method::copy);
}

TEST(SendMethod, TheFastestOfEachKindWinsIndependently) {
  send_figures f;
  f.plain = {1500, 3400, 2900};  // copy, sendfile, splice
  f.plain_cpu = {600, 300, 250};
  f.hashed = {2100, 1600, 1700};
  f.hashed_cpu = {700, 500, 450};
  const auto c = choose(f);
  EXPECT_EQ(c.plain, send_method::sendfile) << "splice is cheaper but 15% slower";
  EXPECT_EQ(c.hashed, send_method::copy);
  f.plain = {1500, 0, 2900};  // sendfile failed
  EXPECT_EQ(choose(f).plain, send_method::splice);
}

TEST(SendMethod, WithinTenPercentOfTheFastestTheCheapestWins) {
  send_figures f;
  f.plain = {1342, 1061, 1304};  // seen on a busy machine: copy ahead by 3%
  f.plain_cpu = {700, 320, 280};
  EXPECT_EQ(choose(f).plain, send_method::splice);
  f.plain = {1500, 1390, 1000};  // sendfile 7% behind copy, and cheaper
  EXPECT_EQ(choose(f).plain, send_method::sendfile);
  f.plain = {1500, 1340, 1000};  // sendfile 11% behind: the speed decides
  EXPECT_EQ(choose(f).plain, send_method::copy);
  f.plain_cpu = {0, 0, 0};  // CPU not known: the earliest of the near-fastest
  f.plain = {1500, 1490, 1495};
  EXPECT_EQ(choose(f).plain, send_method::copy);
}

TEST(SendMethod, ATieKeepsTheEarlierMethod) {
  send_figures f;
  f.plain = {2000, 2000, 2000};
  f.plain_cpu = {500, 500, 500};
  f.hashed = {0, 0, 0};  // hashed runs failed: copy
  const auto c = choose(f);
  EXPECT_EQ(c.plain, send_method::copy);
  EXPECT_EQ(c.hashed, send_method::copy);
}

TEST(SendMethod, TheLogLineNamesTheChoiceAndEveryFigure) {
  send_figures f;
  f.hash_algo = "xxh128";
  f.plain = {1500, 3400, 2900};
  f.plain_cpu = {600, 300, 250};
  f.hashed = {2100, 1600, 1700};
  f.hashed_cpu = {700, 500, 450};
  const auto line = describe(choose(f), f);
  EXPECT_NE(line.find("download path: sendfile (copy 1500 MB/s 600 ms/GB, sendfile 3400 MB/s 300 ms/GB, "
                      "splice 2900 MB/s 250 ms/GB)"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("with xxh128 on the way: copy (copy 2100 MB/s 700 ms/GB"), std::string::npos) << line;
}

TEST(SendMethod, SharedChoiceAndTlsAlwaysCopies) {
  send_paths p;
  EXPECT_EQ(p.pick(false, false), send_method::copy) << "before any choice";
  p.set({send_method::splice, send_method::sendfile});
  EXPECT_EQ(p.pick(false, false), send_method::splice);
  EXPECT_EQ(p.pick(true, false), send_method::sendfile);
  EXPECT_EQ(p.pick(false, true), send_method::copy);
  EXPECT_EQ(p.pick(true, true), send_method::copy);
}

}  // namespace
