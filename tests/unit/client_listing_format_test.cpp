// Pure formatting of listings, stat and quota. Dates are checked in UTC.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "client/listing_format.hpp"

namespace {

using namespace ferry::client;

class ClientListingFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
  }
};

constexpr std::int64_t t_2026_11_23_1405 = 1795442700;  // 2026-11-23 14:05:00 UTC

TEST_F(ClientListingFormat, ModeString) {
  struct row {
    entry_type t;
    std::uint32_t mode;
    const char* expect;
  } rows[] = {
      {entry_type::dir, 0755, "drwxr-xr-x"},
      {entry_type::file, 0644, "-rw-r--r--"},
      {entry_type::file, 0640, "-rw-r-----"},
      {entry_type::link, 0777, "lrwxrwxrwx"},
      {entry_type::other, 0, "?---------"},
      {entry_type::file, 04755, "-rwsr-xr-x"},
      {entry_type::file, 04644, "-rwSr--r--"},
      {entry_type::dir, 02775, "drwxrwsr-x"},
      {entry_type::dir, 02705, "drwx--Sr-x"},
      {entry_type::dir, 01777, "drwxrwxrwt"},
      {entry_type::dir, 01770, "drwxrwx--T"},
      {entry_type::file, 0100644, "-rw-r--r--"},  // type bits above 07777 ignored
  };
  for (const auto& r : rows) EXPECT_EQ(mode_string(r.t, r.mode), r.expect) << std::oct << r.mode;
}

TEST_F(ClientListingFormat, TypeCharAndOctal) {
  EXPECT_EQ(type_char(entry_type::dir), 'd');
  EXPECT_EQ(type_char(entry_type::file), '-');
  EXPECT_EQ(type_char(entry_type::link), 'l');
  EXPECT_EQ(type_char(entry_type::other), '?');
  EXPECT_EQ(mode_octal(0755), "0755");
  EXPECT_EQ(mode_octal(04755), "4755");
  EXPECT_EQ(mode_octal(0), "0000");
}

TEST_F(ClientListingFormat, Dates) {
  EXPECT_EQ(format_date(t_2026_11_23_1405), "2026-11-23 14:05");
  EXPECT_EQ(format_date_seconds(t_2026_11_23_1405 + 9), "2026-11-23 14:05:09");
  EXPECT_EQ(format_date(0), "1970-01-01 00:00");
  // Absurd times keep the column width instead of failing.
  EXPECT_EQ(format_date(INT64_MAX).size(), 16u);
}

TEST_F(ClientListingFormat, Printable) {
  EXPECT_EQ(printable("plain name"), "plain name");
  EXPECT_EQ(printable("a\nb\x1b[2Jc\x7f"), "a?b?[2Jc?");
  EXPECT_EQ(printable("Grüße"), "Grüße");
  EXPECT_EQ(printable("c1\xC2\x9B" "2J\xC2\x9D" "0;T\xC2\x9C"), "c1?2J?0;T?");  // CSI, OSC, ST
  EXPECT_EQ(printable("invoice\xE2\x80\xAE" "fdp.exe"), "invoice?fdp.exe");       // RLO
  EXPECT_EQ(printable("bad\xFFname"), "bad\xEF\xBF\xBDname");
  EXPECT_EQ(printable("中文 🚀"), "中文 🚀");
}

TEST_F(ClientListingFormat, LongEntry) {
  file_entry f{"file.bin", entry_type::file, 4321, t_2026_11_23_1405, 0640, ""};
  EXPECT_EQ(format_long_entry(f),
            "-rw-r-----    4.2 KiB         4321 2026-11-23 14:05 file.bin");
  file_entry d{"dir", entry_type::dir, 4096, t_2026_11_23_1405, 0755, ""};
  EXPECT_EQ(format_long_entry(d),
            "drwxr-xr-x    4.0 KiB         4096 2026-11-23 14:05 dir");
  file_entry small{"a b", entry_type::file, 5, t_2026_11_23_1405, 0600, ""};
  const auto line = format_long_entry(small);
  EXPECT_EQ(line, "-rw-------        5 B            5 2026-11-23 14:05 a b");
  // Columns line up whatever the size.
  EXPECT_EQ(line.find("2026"), format_long_entry(f).find("2026"));
  file_entry evil{"x\ny", entry_type::file, 0, 0, 0, ""};
  EXPECT_EQ(format_long_entry(evil).find('\n'), std::string::npos);
}

TEST_F(ClientListingFormat, Stat) {
  file_entry f{"notes.txt", entry_type::file, 1234, t_2026_11_23_1405 + 9, 0644, ""};
  const auto lines = format_stat(f, "ignored");
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "name:     notes.txt");
  EXPECT_EQ(lines[1], "type:     file");
  EXPECT_EQ(lines[2], "size:     1234 bytes (1.2 KiB)");
  EXPECT_EQ(lines[3], "mode:     0644 (-rw-r--r--)");
  EXPECT_EQ(lines[4], "modified: 2026-11-23 14:05:09");
  file_entry root{"", entry_type::dir, 0, 0, 0755, ""};
  EXPECT_EQ(format_stat(root, "/")[0], "name:     /");
}

TEST_F(ClientListingFormat, Quota) {
  EXPECT_EQ(format_quota(1258291, 104857600), "used 1.2 MiB of 100.0 MiB (1.2%)");
  EXPECT_EQ(format_quota(1258291, 0), "used 1.2 MiB (no limit)");
  EXPECT_EQ(format_quota(0, 1024), "used 0 B of 1.0 KiB (0.0%)");
  EXPECT_EQ(format_file_count(12, 1000000), "12 of 1000000 files (0.0%)");
  EXPECT_EQ(format_file_count(5, 5), "5 of 5 files (100.0%)");
  EXPECT_EQ(format_file_count(12, 0), "12 files (no limit)");
  EXPECT_EQ(format_quota(2048, 1024), "used 2.0 KiB of 1.0 KiB (200.0%)");
}

}  // namespace
