// FTP control input: line splitting at every byte boundary, CRLF and bare LF,
// overlong lines, Telnet IAC stripping, verb validation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ftp/command_line.hpp"

namespace {

using ferry::ftp::line_splitter;
using ferry::ftp::parse_command;

std::vector<std::string> split_all(const std::string& input, std::size_t step) {
  line_splitter s;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < input.size(); i += step) {
    s.feed(input.substr(i, step));
    std::string line;
    for (;;) {
      const auto r = s.next(line);
      if (r == line_splitter::result::need_more) break;
      out.push_back(r == line_splitter::result::line ? line : "<too long>");
    }
  }
  return out;
}

TEST(FtpLines, SplitsAtEveryChunkSize) {
  const std::string input = "USER alex\r\nPASS se cret\r\nNOOP\nQUIT\r\n";
  const std::vector<std::string> want = {"USER alex", "PASS se cret", "NOOP", "QUIT"};
  for (std::size_t step = 1; step <= input.size(); ++step) EXPECT_EQ(split_all(input, step), want) << step;
}

TEST(FtpLines, OverlongLineIsReportedOnceAndSkipped) {
  const std::string input = "NOOP\r\n" + std::string(20000, 'A') + "\r\nPWD\r\n";
  for (std::size_t step : {1u, 7u, 4096u, 100000u}) {
    const std::vector<std::string> want = {"NOOP", "<too long>", "PWD"};
    EXPECT_EQ(split_all(input, step), want) << step;
  }
}

TEST(FtpLines, LineOfExactlyMaxIsAccepted) {
  const std::string body(ferry::ftp::max_line, 'x');
  EXPECT_EQ(split_all(body + "\n", 512), std::vector<std::string>{body});
}

TEST(FtpCommand, VerbUppercasedArgumentKept) {
  auto c = parse_command("retr My File.txt");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->verb, "RETR");
  EXPECT_EQ(c->arg, "My File.txt");
  c = parse_command("CWD  two spaces");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->arg, " two spaces");
  c = parse_command("PWD");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->arg, "");
}

TEST(FtpCommand, RejectsBadVerbs) {
  EXPECT_FALSE(parse_command(""));
  EXPECT_FALSE(parse_command("   "));
  EXPECT_FALSE(parse_command("RETRX a"));
  EXPECT_FALSE(parse_command("R3TR a"));
  EXPECT_FALSE(parse_command("\xc3\xa9t\xc3\xa9"));
}

TEST(FtpCommand, TelnetSequencesDropped) {
  // IAC IP IAC DM before ABOR, as ftp(1) sends it.
  auto c = parse_command("\xff\xf4\xff\xf2" "ABOR");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->verb, "ABOR");
  c = parse_command("STOR a\xff\xff" "b");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->arg, "a\xff" "b");
}

// Issue 11: lines sent during a transfer are kept only up to a bound; past
// it they are dropped, and so is every later one (no reply out of order).
TEST(FtpPendingLines, KeepsUpToTheLineBoundInOrder) {
  ferry::ftp::pending_lines q;
  for (std::size_t i = 0; i < ferry::ftp::max_pending_lines; ++i) EXPECT_TRUE(q.push("NOOP " + std::to_string(i)));
  EXPECT_FALSE(q.overflowed());
  EXPECT_FALSE(q.push("PWD"));
  EXPECT_TRUE(q.overflowed());
  for (std::size_t i = 0; i < ferry::ftp::max_pending_lines; ++i) EXPECT_EQ(q.pop(), "NOOP " + std::to_string(i));
  EXPECT_EQ(q.pop(), std::nullopt);
  // Sticky: the session closes once the kept lines are answered.
  EXPECT_FALSE(q.push("NOOP"));
  EXPECT_TRUE(q.overflowed());
}

TEST(FtpPendingLines, KeepsUpToTheByteBound) {
  ferry::ftp::pending_lines q;
  const std::string big(ferry::ftp::max_line, 'x');
  std::size_t kept = 0;
  while (q.push(big)) ++kept;
  EXPECT_EQ(kept, ferry::ftp::max_pending_bytes / ferry::ftp::max_line);
  EXPECT_FALSE(q.push("NOOP"));  // would fit, but an earlier line was dropped
  for (std::size_t i = 0; i < kept; ++i) EXPECT_EQ(q.pop(), big);
  EXPECT_EQ(q.pop(), std::nullopt);
}

TEST(FtpPendingLines, PopFreesRoom) {
  ferry::ftp::pending_lines q;
  for (int round = 0; round < 1000; ++round) {
    EXPECT_TRUE(q.push(std::string(ferry::ftp::max_line, 'y')));
    EXPECT_TRUE(q.push(""));
    EXPECT_EQ(q.pop()->size(), ferry::ftp::max_line);
    EXPECT_EQ(q.pop(), "");
  }
  EXPECT_FALSE(q.overflowed());
}

}  // namespace
