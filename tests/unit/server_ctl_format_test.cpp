// `ferryd ctl` tables: units, durations, the sessions table's columns and
// its transfer column, the stats lines.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "server/ctl_format.hpp"

using namespace ferry::server;
using json = nlohmann::json;

TEST(CtlFormat, HumanBytes) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1023), "1023 B");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536 * 1024), "1.5 MiB");
  EXPECT_EQ(human_bytes(5ull << 40), "5.0 TiB");
}

TEST(CtlFormat, HumanSeconds) {
  EXPECT_EQ(human_seconds(0), "0s");
  EXPECT_EQ(human_seconds(59), "59s");
  EXPECT_EQ(human_seconds(187), "3m07s");
  EXPECT_EQ(human_seconds(7500), "2h05m");
  EXPECT_EQ(human_seconds(3 * 86400 + 4 * 3600 + 5), "3d04h");
}

TEST(CtlFormat, SessionsTable) {
  const json s = json::parse(R"([
    {"id":7,"user":"alex","peer":"127.0.0.1:5000","protocol":"ferry","tls":true,"since":1000,"idle":3,
     "transfer":{"path":"/big.iso","direction":"out","size":2097152,"offset":0,"done":1048576,"rate":1048576}},
    {"id":8,"user":"","peer":"127.0.0.1:5001","protocol":"ftp","tls":false,"since":1090,"idle":0,"transfer":null}
  ])");
  const auto text = format_sessions(s, 1100);
  std::istringstream in(text);
  std::string header, row1, row2;
  std::getline(in, header);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_TRUE(header.starts_with("ID")) << text;
  EXPECT_NE(header.find("TRANSFER"), std::string::npos);
  EXPECT_NE(row1.find("alex"), std::string::npos);
  EXPECT_NE(row1.find("ferry+tls"), std::string::npos);
  EXPECT_NE(row1.find("1m40s"), std::string::npos) << row1;  // since
  EXPECT_NE(row1.find("get /big.iso 1.0 MiB/2.0 MiB (50%) 1.0 MiB/s"), std::string::npos) << row1;
  EXPECT_NE(row2.find(" - "), std::string::npos) << row2;  // not logged in
  EXPECT_TRUE(row2.ends_with("-")) << row2;               // no transfer
  // Columns line up: USER starts at the same offset on every line.
  EXPECT_EQ(header.find("USER"), row1.find("alex"));
}

TEST(CtlFormat, NoSessions) { EXPECT_NE(format_sessions(json::array(), 0).find("(no sessions)"), std::string::npos); }

TEST(CtlFormat, Stats) {
  const json s = json::parse(R"({"sessions":{"ferry":2,"ftp":1,"ftps":0,"total":3,"pending":1},
    "logins":{"ok":5,"failed":2},"bytes":{"in":2048,"out":1048576},
    "transfers":{"in":1,"out":2,"failed_in":3,"failed_out":4},"exec_runs":6,"uptime":61,"started":0})");
  const auto text = format_stats(s);
  EXPECT_NE(text.find("3 (ferry 2, ftp 1, ftps 0; 1 not logged in)"), std::string::npos) << text;
  EXPECT_NE(text.find("5 ok, 2 failed"), std::string::npos) << text;
  EXPECT_NE(text.find("2.0 KiB in, 1.0 MiB out"), std::string::npos) << text;
  EXPECT_NE(text.find("1 in, 2 out completed; 3 in, 4 out failed"), std::string::npos) << text;
  EXPECT_NE(text.find("1m01s"), std::string::npos) << text;
}
