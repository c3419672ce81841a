// ferry-load's report: the machine lines load.sh parses.
#include <gtest/gtest.h>

#include <string>

#include "load/load_report.hpp"

namespace ferry::load {
namespace {

TEST(LoadReport, MachineLinesCarryRatesAndRssPerSession) {
  load_result r;
  r.mode = "idle";
  r.sessions = 4;
  r.logged_in = 4;
  r.wall_s = 2;
  r.ops = 10;
  r.bytes_down = 8000000;
  r.rss_before = proc_memory{1000, 1200};
  r.rss_loaded = proc_memory{1100, 1300};
  r.errors["get:not found"] = 2;
  r.rows.push_back({"get", latency_summary{3, 10, 20, 30, 40, 25}});
  const auto m = format_machine(r);
  EXPECT_NE(m.find("LOAD mode=idle sessions=4 logged_in=4 tls=0 wall_s=2.000000 ops=10 ops_per_s=5.0"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(" mb_per_s=4.0 "), std::string::npos) << m;
  EXPECT_NE(m.find(" errors=2"), std::string::npos) << m;
  EXPECT_NE(m.find(" rss_per_session_kib=25.00"), std::string::npos) << m;
  EXPECT_NE(m.find("LOADOP op=get n=3 p50_us=10 p90_us=20 p99_us=30 max_us=40 mean_us=25\n"), std::string::npos)
      << m;
  EXPECT_NE(m.find("LOADERR kind=get:not_found n=2\n"), std::string::npos) << m;
  EXPECT_EQ(error_total(r), 2u);
  const auto h = format_report(r);
  EXPECT_NE(h.find("server RSS per idle session: 25.00 KiB"), std::string::npos) << h;
}

TEST(LoadReport, NoServerFiguresWithoutAPid) {
  load_result r;
  r.mode = "mix";
  const auto m = format_machine(r);
  EXPECT_EQ(m.find("rss_"), std::string::npos) << m;
  EXPECT_NE(m.find("ops_per_s=0.0"), std::string::npos) << m;
}

}  // namespace
}  // namespace ferry::load
