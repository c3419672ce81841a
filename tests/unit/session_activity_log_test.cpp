// The activity log: line formats, escaping of hostile names, reopening after
// rotation, whole lines under concurrency.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "session/activity_log.hpp"
#include "test_files.hpp"

namespace {

namespace fs = std::filesystem;
using ferry::session::activity_field;
using ferry::session::activity_line;
using ferry::session::activity_log;
using ferry::session::log_format;
using ferry::session::quote_text;

/// The keys of a text line, read as a log parser would: key=value pairs
/// after the time and event, a quoted value ending at an unescaped quote.
std::vector<std::string> text_keys(const std::string& line) {
  std::vector<std::string> keys;
  std::size_t i = line.find(' ', line.find(' ') + 1) + 1;
  while (i < line.size() && line[i] != '\n') {
    const auto eq = line.find('=', i);
    keys.push_back(line.substr(i, eq - i));
    i = eq + 1;
    if (line[i] == '"') {
      for (++i; line[i] != '"'; ++i)
        if (line[i] == '\\') ++i;
      ++i;
    } else {
      while (line[i] != ' ' && line[i] != '\n') ++i;
    }
    if (line[i] == ' ') ++i;
  }
  return keys;
}

const std::timespec when{1795431456, 123'456'789};  // 2026-11-23 10:57:36.123 UTC

std::vector<std::string> lines_of(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST(ActivityLine, Text) {
  const std::vector<std::string> argv{"ls", "-l"};
  const activity_field f[] = {{"result", "ok"}, {"exit", -1}, {"ms", 12u}, {"argv", argv}, {"tls", true}};
  EXPECT_EQ(activity_line(log_format::text, when, "exec", "alex", "127.0.0.1:4000", f),
            "2026-11-23T10:57:36.123Z exec user=\"alex\" peer=\"127.0.0.1:4000\" result=\"ok\" exit=-1 ms=12 "
            "argv=[\"ls\",\"-l\"] tls=true\n");
}

TEST(ActivityLine, JsonIsOneObjectWithTheSameKeys) {
  const std::vector<std::string> argv{"sh", "-c", "echo \"hi\"\n"};
  const activity_field f[] = {{"path", "/a\"b\\c\n"}, {"argv", argv}, {"exit", 3}};
  const auto line = activity_line(log_format::json, when, "mkdir", "bo", "[::1]:5", f);
  ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["time"], "2026-11-23T10:57:36.123Z");
  EXPECT_EQ(j["event"], "mkdir");
  EXPECT_EQ(j["user"], "bo");
  EXPECT_EQ(j["peer"], "[::1]:5");
  EXPECT_EQ(j["path"], "/a\"b\\c\n");
  EXPECT_EQ(j["argv"][2], "echo \"hi\"\n");
  EXPECT_EQ(j["exit"], 3);
}

TEST(ActivityLine, HostileNamesCannotForgeALineOrAField) {
  const std::string hostile = std::string("x\" result=\"ok\nFAKE login user=\"root\"\r\x1b[2J\x7f") +
                              "\xc2\x85" + "\xe2\x80\xa8" + "\xff\xfe" + std::string(1, '\0') + "end";
  for (const auto fmt : {log_format::text, log_format::json}) {
    const activity_field f[] = {{"path", hostile}};
    const auto line = activity_line(fmt, when, "rm", hostile, hostile, f);
    ASSERT_EQ(line.find('\n'), line.size() - 1) << line;
    for (const char c : line.substr(0, line.size() - 1)) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 && u != 0x7f) << "raw control byte " << int(u) << " in " << line;
    }
    EXPECT_EQ(line.find("\xc2\x85"), std::string::npos) << "C1 NEL written raw";
    EXPECT_EQ(line.find("\xe2\x80\xa8"), std::string::npos) << "LINE SEPARATOR written raw";
    EXPECT_EQ(line.find("\xff"), std::string::npos) << "invalid UTF-8 written raw";
    if (fmt == log_format::json) {
      const auto j = nlohmann::json::parse(line);
      EXPECT_EQ(j.size(), 5u) << line;
      EXPECT_EQ(j["event"], "rm");
    } else {
      // Exactly the fields written: the quote inside the name is escaped.
      EXPECT_EQ(text_keys(line), (std::vector<std::string>{"user", "peer", "path"})) << line;
    }
  }
}

TEST(ActivityLine, QuoteTextKeepsUtf8AndEscapesTheRest) {
  EXPECT_EQ(quote_text("héllo 文件"), "\"héllo 文件\"");
  EXPECT_EQ(quote_text("a\tb"), "\"a\\tb\"");
  EXPECT_EQ(quote_text(std::string("\x01\xc0\xaf", 3)), "\"\\x01\\xc0\\xaf\"") << "overlong '/' is not UTF-8";
  EXPECT_EQ(quote_text("\xed\xa0\x80"), "\"\\xed\\xa0\\x80\"") << "a surrogate is not UTF-8";
  EXPECT_EQ(quote_text("\xc2\x9b"), "\"\\u009b\"") << "C1 CSI";
}

class ActivityLog : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = ferry::test::fresh_test_dir("activity_log"); }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ActivityLog, CreatesItsDirectoryAndAppends) {
  const auto file = dir_ / "log" / "ferryd.log";
  {
    activity_log log(file, log_format::text);
    log.record("session_open", "", "127.0.0.1:1", {{"service", "ferry"}, {"session", 1u}});
    log.record("login", "alex", "127.0.0.1:1", {{"result", "ok"}});
  }
  activity_log again(file, log_format::text);
  again.record("session_close", "alex", "127.0.0.1:1");
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[1].find(" login user=\"alex\" peer=\"127.0.0.1:1\" result=\"ok\""), std::string::npos) << lines[1];
  EXPECT_EQ((fs::status(file).permissions() & fs::perms::others_all), fs::perms::none);
}

TEST_F(ActivityLog, ReopenAfterRenameWritesANewFile) {
  const auto file = dir_ / "ferryd.log";
  activity_log log(file, log_format::json);
  log.record("a", "u", "p");
  fs::rename(file, dir_ / "ferryd.log.1");
  log.record("b", "u", "p");  // still the renamed file, as logrotate expects
  ASSERT_TRUE(log.reopen());
  log.record("c", "u", "p");
  const auto old = lines_of(dir_ / "ferryd.log.1");
  const auto fresh = lines_of(file);
  ASSERT_EQ(old.size(), 2u);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(fresh[0])["event"], "c");
}

TEST_F(ActivityLog, ConcurrentRecordsStayWholeLines) {
  const auto file = dir_ / "ferryd.log";
  activity_log log(file, log_format::text);
  const std::string name(300, 'n');
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        log.record("mkdir", "u", "p", {{"path", name}, {"thread", t}});
        if (t == 0 && i % 100 == 0) log.reopen();
      }
    });
  for (auto& th : threads) th.join();
  const auto lines = lines_of(file);
  ASSERT_EQ(lines.size(), 2000u);
  for (const auto& l : lines) EXPECT_NE(l.find(name + "\" thread="), std::string::npos) << l.substr(0, 80);
}

}  // namespace
