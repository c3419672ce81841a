// The Prometheus text and the responder's request check: every family has
// HELP and TYPE, counters carry the snapshot's numbers, the histogram is
// cumulative and ends in +Inf = count, and request lines map to the right
// status.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>
#include <regex>
#include <sstream>
#include <string>

#include "server/metrics_text.hpp"

using ferry::server::metrics_status;
using ferry::server::metrics_text;
using ferry::session::stats_snapshot;

namespace {

/// sample line "name{labels} value" -> value, for every sample.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

stats_snapshot example() {
  stats_snapshot s;
  s.logins_ok = 5;
  s.logins_failed = 2;
  s.bytes_in = 1000;
  s.bytes_out = 2000;
  s.transfers_in = 3;
  s.transfers_out = 4;
  s.failed_in = 1;
  s.exec_runs = 9;
  s.sessions = {{"ferry", 2}, {"ftp", 1}, {"ftps", 0}};
  s.pending = 1;
  s.duration_buckets.fill(7);
  s.duration_buckets[0] = 1;
  s.duration_count = 7;
  s.duration_sum = 12.5;
  s.uptime = 42;
  return s;
}

}  // namespace

TEST(MetricsText, CountersCarryTheSnapshot) {
  const auto m = samples(metrics_text(example()));
  EXPECT_EQ(m.at("ferry_sessions{protocol=\"ferry\"}"), "2");
  EXPECT_EQ(m.at("ferry_sessions{protocol=\"ftp\"}"), "1");
  EXPECT_EQ(m.at("ferry_sessions{protocol=\"ftps\"}"), "0");
  EXPECT_EQ(m.at("ferry_logins_total{result=\"ok\"}"), "5");
  EXPECT_EQ(m.at("ferry_logins_total{result=\"failed\"}"), "2");
  EXPECT_EQ(m.at("ferry_bytes_total{direction=\"in\"}"), "1000");
  EXPECT_EQ(m.at("ferry_bytes_total{direction=\"out\"}"), "2000");
  EXPECT_EQ(m.at("ferry_transfers_total{direction=\"in\",result=\"complete\"}"), "3");
  EXPECT_EQ(m.at("ferry_transfers_total{direction=\"out\",result=\"complete\"}"), "4");
  EXPECT_EQ(m.at("ferry_transfers_total{direction=\"in\",result=\"failed\"}"), "1");
  EXPECT_EQ(m.at("ferry_exec_runs_total"), "9");
  EXPECT_EQ(m.at("ferry_transfer_duration_seconds_bucket{le=\"0.1\"}"), "1");
  EXPECT_EQ(m.at("ferry_transfer_duration_seconds_bucket{le=\"+Inf\"}"), "7");
  EXPECT_EQ(m.at("ferry_transfer_duration_seconds_count"), "7");
  EXPECT_EQ(m.at("ferry_transfer_duration_seconds_sum"), "12.5");
}

TEST(MetricsText, EveryLineIsCommentOrSampleAndEveryFamilyIsDeclared) {
  const std::string text = metrics_text(example());
  const std::regex sample(R"(^([a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$)");
  const std::regex type(R"(^# TYPE ([a-z_]+) (counter|gauge|histogram)$)");
  std::set<std::string> declared;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, type)) {
      declared.insert(m[1]);
      continue;
    }
    if (line.starts_with("# HELP ")) continue;
    ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
    std::string family = m[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (family.ends_with(suffix) && declared.contains(family.substr(0, family.size() - std::strlen(suffix))))
        family = family.substr(0, family.size() - std::strlen(suffix));
    EXPECT_TRUE(declared.contains(family)) << line;
  }
  EXPECT_TRUE(text.ends_with("\n"));
}

TEST(MetricsText, HistogramIsCumulative) {
  stats_snapshot s;
  for (std::size_t i = 0; i < s.duration_buckets.size(); ++i) s.duration_buckets[i] = i;
  const auto text = metrics_text(s);
  std::istringstream in(text);
  std::uint64_t last = 0;
  int buckets = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("ferry_transfer_duration_seconds_bucket")) continue;
    const auto v = std::stoull(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(v, last) << line;
    last = v;
    ++buckets;
  }
  EXPECT_EQ(buckets, static_cast<int>(s.duration_buckets.size()));
}

TEST(MetricsStatus, RequestLines) {
  EXPECT_EQ(metrics_status("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
  EXPECT_EQ(metrics_status("GET /metrics HTTP/1.0\r\n\r\n"), 200);
  EXPECT_EQ(metrics_status("HEAD /metrics HTTP/1.1\r\n\r\n"), 200);
  EXPECT_EQ(metrics_status("GET /metrics?x=1 HTTP/1.1\r\n\r\n"), 200);
  EXPECT_EQ(metrics_status("GET / HTTP/1.1\r\n\r\n"), 404);
  EXPECT_EQ(metrics_status("GET /metricsx HTTP/1.1\r\n\r\n"), 404);
  EXPECT_EQ(metrics_status("POST /metrics HTTP/1.1\r\n\r\n"), 405);
  EXPECT_EQ(metrics_status("GET /metrics\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status("GET /metrics HTTP/2\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status("get /metrics HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status("GET metrics HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status(" GET /metrics HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status("GET /metrics HTTP/1.1 extra\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status("\r\n\r\n"), 400);
  EXPECT_EQ(metrics_status(std::string("\x16\x03\x01\x00", 4) + "\r\n\r\n"), 400);
}
