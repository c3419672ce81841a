// ferry-load's reading of /proc/PID/status for the server-RSS rows.
#include <gtest/gtest.h>

#include <unistd.h>

#include "load/proc_status.hpp"

namespace ferry::load {
namespace {

TEST(LoadProcStatus, ParsesRssAndHwm) {
  const auto m = parse_proc_status(
      "Name:\tferryd\nVmPeak:\t  123456 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t4\n");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->rss_kib, 10240u);
  EXPECT_EQ(m->hwm_kib, 20480u);
}

TEST(LoadProcStatus, RefusesMissingOrMalformedFields) {
  EXPECT_FALSE(parse_proc_status(""));
  EXPECT_FALSE(parse_proc_status("VmRSS:\t 10 kB\n"));                  // no VmHWM
  EXPECT_FALSE(parse_proc_status("VmRSS:\t x kB\nVmHWM:\t 10 kB\n"));    // not a number
  EXPECT_FALSE(parse_proc_status("VmRSS:\t 10 MB\nVmHWM:\t 10 kB\n"));   // unit
  EXPECT_FALSE(parse_proc_status("VmRSSX:\t 10 kB\nVmHWM:\t 10 kB\n"));  // another field
}

TEST(LoadProcStatus, ReadsThisProcess) {
  const auto m = read_proc_status(static_cast<int>(::getpid()));
  ASSERT_TRUE(m);
  EXPECT_GT(m->rss_kib, 0u);
  EXPECT_GE(m->hwm_kib, m->rss_kib);
  EXPECT_FALSE(read_proc_status(0));
}

}  // namespace
}  // namespace ferry::load
