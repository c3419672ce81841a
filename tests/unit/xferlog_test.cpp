// xferlog lines: the classic 18-field format, whitespace in names folded.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "transfer/xferlog.hpp"

namespace {

using ferry::transfer::xfer_record;
using ferry::transfer::xferlog_line;

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(Xferlog, CompleteDownload) {
  xfer_record r;
  r.end = 1795431456;  // 2026-11-23 10:57:36 UTC, a Monday
  r.seconds = 2.4;
  r.host = "127.0.0.1";
  r.bytes = 1048577;
  r.path = "/dir/file.bin";
  r.user = "alex";
  r.complete = true;
  EXPECT_EQ(xferlog_line(r),
            "Mon Nov 23 10:57:36 2026 2 127.0.0.1 1048577 /dir/file.bin b _ o r alex ferry 0 * c\n");
}

TEST(Xferlog, IncompleteUploadWithSpacesKeepsFieldCount) {
  xfer_record r;
  r.end = 0;
  r.seconds = 0.01;
  r.host = "::1";
  r.path = "/my file\twith\nbreaks";
  r.incoming = true;
  r.user = "bo";
  r.service = "ftp";
  const auto line = xferlog_line(r);
  const auto f = fields(line);
  ASSERT_EQ(f.size(), 18u) << line;
  EXPECT_EQ(f[5], "1");  // whole seconds, at least one
  EXPECT_EQ(f[8], "/my_file_with_breaks");
  EXPECT_EQ(f[11], "i");
  EXPECT_EQ(f[14], "ftp");
  EXPECT_EQ(f[17], "i");
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

}  // namespace
