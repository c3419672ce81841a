// ferry ping's output: one line per reply, and the ping(8)-style summary.
#include <gtest/gtest.h>

#include "client/ping.hpp"

namespace {

using ferry::client::format_reply;
using ferry::client::ping_stats;
namespace st = ferry::proto::status;

TEST(PingOutput, ReplyLineShowsEveryField) {
  st::reply r;
  r.server_minor = 1;
  r.uptime = 3600;
  r.sessions = 3;
  r.max_sessions = 1024;
  EXPECT_EQ(format_reply("127.0.0.1:9021", 2, 0.1234, r),
            "32 bytes from 127.0.0.1:9021: seq=2 time=0.123 ms version=0.1.0 uptime=3600s sessions=3/1024 load=ok\n");
  r.max_sessions = 0;
  r.flags = st::flag_busy | st::flag_draining;
  EXPECT_EQ(format_reply("[::1]:9021", 1, 1.5, r),
            "32 bytes from [::1]:9021: seq=1 time=1.500 ms version=0.1.0 uptime=3600s sessions=3 load=busy,draining\n");
  r.flags = st::flag_draining;
  EXPECT_NE(format_reply("h", 1, 1, r).find(" load=draining\n"), std::string::npos);
}

TEST(PingOutput, SummaryCountsLossAndRtt) {
  ping_stats s;
  s.sent = 4;
  s.add(0.5);
  s.add(1.5);
  s.add(1.0);
  EXPECT_EQ(s.summary("h:1", 3003.4),
            "--- h:1 ferry ping statistics ---\n4 sent, 3 received, 25% loss, time 3003 ms\n"
            "rtt min/avg/max = 0.500/1.000/1.500 ms\n");
  ping_stats none;
  none.sent = 2;
  EXPECT_EQ(none.summary("h:1", 10), "--- h:1 ferry ping statistics ---\n2 sent, 0 received, 100% loss, time 10 ms\n");
}

}  // namespace
