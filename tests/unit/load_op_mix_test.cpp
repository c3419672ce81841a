// ferry-load's op mix: parsing "get=50,put=20" and drawing ops in proportion.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>

#include "load/op_mix.hpp"

namespace ferry::load {
namespace {

TEST(LoadOpMix, ParsesWeightsInAnyOrder) {
  std::string err;
  const auto m = op_mix::parse("rm=10,get=50,ls=20,put=20", err);
  ASSERT_TRUE(m) << err;
  EXPECT_EQ(m->weight(op_kind::get), 50u);
  EXPECT_EQ(m->weight(op_kind::put), 20u);
  EXPECT_EQ(m->weight(op_kind::ls), 20u);
  EXPECT_EQ(m->weight(op_kind::rm), 10u);
  EXPECT_EQ(m->weight(op_kind::stat), 0u);
  EXPECT_EQ(m->total(), 100u);
  EXPECT_EQ(m->to_string(), "get=50,put=20,ls=20,rm=10");
}

TEST(LoadOpMix, RefusesBadText) {
  const struct {
    const char* text;
    const char* error_part;
  } cases[] = {
      {"", "empty"},
      {"get", "NAME=WEIGHT"},
      {"get=", "weight"},
      {"get=-1", "weight"},
      {"get=1.5", "weight"},
      {"get=1000001", "weight"},
      {"fly=3", "unknown op"},
      {"get=1,get=2", "twice"},
      {"get=0,put=0", "above 0"},
      {"get=1,", "NAME=WEIGHT"},
  };
  for (const auto& c : cases) {
    std::string err;
    EXPECT_FALSE(op_mix::parse(c.text, err)) << c.text;
    EXPECT_NE(err.find(c.error_part), std::string::npos) << c.text << ": " << err;
  }
}

TEST(LoadOpMix, PickCoversTheDrawRangeInProportion) {
  std::string err;
  const auto m = op_mix::parse("get=1,put=0,stat=3", err);
  ASSERT_TRUE(m) << err;
  EXPECT_EQ(m->pick(0), op_kind::get);
  EXPECT_EQ(m->pick(0x3fffffffu), op_kind::get);  // the first quarter
  EXPECT_EQ(m->pick(0x40000000u), op_kind::stat);
  EXPECT_EQ(m->pick(0xffffffffu), op_kind::stat);
  // A zero weight is never drawn; the shares hold over an even sweep.
  std::array<std::uint64_t, op_kind_count> seen{};
  for (std::uint64_t r = 0; r < (std::uint64_t{1} << 32); r += 65536) {
    ++seen[static_cast<std::size_t>(m->pick(static_cast<std::uint32_t>(r)))];
  }
  EXPECT_EQ(seen[static_cast<std::size_t>(op_kind::put)], 0u);
  EXPECT_EQ(seen[static_cast<std::size_t>(op_kind::get)], 16384u);
  EXPECT_EQ(seen[static_cast<std::size_t>(op_kind::stat)], 49152u);
}

TEST(LoadOpMix, NamesRoundTrip) {
  for (auto k : {op_kind::get, op_kind::put, op_kind::ls, op_kind::rm, op_kind::stat}) {
    EXPECT_EQ(op_from_name(op_name(k)), k);
  }
  EXPECT_FALSE(op_from_name("GET"));
}

}  // namespace
}  // namespace ferry::load
