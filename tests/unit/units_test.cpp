// Human byte sizes: parse_size / parse_rate accept exactly the documented forms
// (exact integer maths, overflow -> nullopt); format_size prints one decimal.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "proto/units.hpp"

namespace {

using ferry::format_size;
using ferry::parse_rate;
using ferry::parse_size;

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = KiB * 1024;
constexpr std::uint64_t GiB = MiB * 1024;
constexpr std::uint64_t TiB = GiB * 1024;
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

struct size_case {
  std::string text;
  std::optional<std::uint64_t> want;
};

TEST(Units, ParseSize) {
  const std::vector<size_case> cases = {
      {"", 0},
      {"unlimited", 0},
      {"Unlimited", 0},
      {"0", 0},
      {"512", 512},
      {"512B", 512},
      {"512 b", 512},
      {"100K", 100 * KiB},
      {"100KB", 100 * KiB},
      {"100KiB", 100 * KiB},
      {"100kib", 100 * KiB},
      {"100 KiB", 100 * KiB},
      {"1M", MiB},
      {"1g", GiB},
      {"1.5GiB", GiB + GiB / 2},
      {"1.5 G", GiB + GiB / 2},
      {"2T", 2 * TiB},
      {"0.5K", 512},
      {"1.9999K", 2047},  // 2047.8976, rounded down
      {"0.0000000000000000001T", 0},
      {"0010", 10},
      {"18446744073709551615", u64_max},
      {"16777215T", u64_max - TiB + 1},
      {"16777215.5T", u64_max - TiB + 1 + TiB / 2},
      {"18446744073709551616", std::nullopt},
      {"16777216T", std::nullopt},
      {"99999999999999999999999", std::nullopt},
      {"-1", std::nullopt},
      {"+1", std::nullopt},
      {" 1", std::nullopt},
      {"1 ", std::nullopt},
      {"1  K", std::nullopt},
      {"1.5", std::nullopt},
      {"1.5B", std::nullopt},
      {".5K", std::nullopt},
      {"1.K", std::nullopt},
      {"1.5.5K", std::nullopt},
      {"1KiBs", std::nullopt},
      {"1KiB/s", std::nullopt},
      {"1P", std::nullopt},
      {"1Ki", std::nullopt},
      {"1iB", std::nullopt},
      {"K", std::nullopt},
      {"abc", std::nullopt},
      {"1e3", std::nullopt},
      {"1,000", std::nullopt},
      {"0x10", std::nullopt},
      {"unlimitedx", std::nullopt},
      {std::string("1\0", 2), std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_size(c.text), c.want) << '"' << c.text << '"';
}

TEST(Units, ParseRate) {
  const std::vector<size_case> cases = {
      {"", 0},
      {"unlimited", 0},
      {"1000", 1000},
      {"1000/s", 1000},
      {"10MiB/s", 10 * MiB},
      {"10MiB/S", 10 * MiB},
      {"10 MiB/s", 10 * MiB},
      {"10MiB", 10 * MiB},
      {"1.5K/s", 1536},
      {"/s", std::nullopt},
      {"10MiB/", std::nullopt},
      {"10MiB/s/s", std::nullopt},
      {"10MiB /s", std::nullopt},
      {"10MiB/m", std::nullopt},
      {"-1/s", std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_rate(c.text), c.want) << '"' << c.text << '"';
}

TEST(Units, FormatSize) {
  const std::vector<std::pair<std::uint64_t, std::string>> cases = {
      {0, "0 B"},
      {1, "1 B"},
      {1023, "1023 B"},
      {1024, "1.0 KiB"},
      {1075, "1.0 KiB"},
      {1076, "1.1 KiB"},
      {1536, "1.5 KiB"},
      {MiB - 1, "1.0 MiB"},
      {MiB, "1.0 MiB"},
      {12897485, "12.3 MiB"},
      {100 * MiB, "100.0 MiB"},
      {GiB, "1.0 GiB"},
      {GiB + GiB / 2, "1.5 GiB"},
      {TiB, "1.0 TiB"},
      {1024 * TiB, "1.0 PiB"},
      {1024 * 1024 * TiB, "1.0 EiB"},
      {u64_max, "16.0 EiB"},
  };
  for (const auto& [bytes, want] : cases) EXPECT_EQ(format_size(bytes), want) << bytes;
}

TEST(Units, RoundBinaryUnitsRoundTrip) {
  for (const char* unit : {"K", "KiB", "M", "MiB", "G", "GiB", "T", "TiB"}) {
    for (std::uint64_t n : {1u, 3u, 100u, 1023u}) {
      const auto text = std::to_string(n) + unit;
      const auto v = parse_size(text);
      ASSERT_TRUE(v) << text;
      EXPECT_EQ(parse_rate(text + "/s"), v) << text;
    }
  }
}

}  // namespace
