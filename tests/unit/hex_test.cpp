// Lowercase hex both ways: what digests look like on the wire.
#include <gtest/gtest.h>

#include "proto/hex.hpp"

namespace {

using ferry::proto::from_hex;
using ferry::proto::to_hex;

TEST(Hex, RoundTripsEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const auto hex = to_hex(all);
  EXPECT_EQ(hex.size(), 512u);
  EXPECT_EQ(hex.substr(0, 6), "000102");
  EXPECT_EQ(hex.substr(506), "fdfeff");
  EXPECT_EQ(from_hex(hex), all);
}

TEST(Hex, RefusesWhatIsNotLowercaseHex) {
  EXPECT_EQ(from_hex(""), std::nullopt);
  EXPECT_EQ(from_hex("abc"), std::nullopt) << "odd length";
  EXPECT_EQ(from_hex("AB"), std::nullopt) << "uppercase";
  EXPECT_EQ(from_hex("0g"), std::nullopt);
  EXPECT_EQ(to_hex(""), "");
}

}  // namespace
