// background_step: jobs run one at a time, in order, off the caller's thread,
// and what a job wrote is visible after wait() (or the next start()).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "client/background_step.hpp"

namespace {

using ferry::client::background_step;

TEST(BackgroundStep, JobsRunInOrderOneAtATimeOffTheCallersThread) {
  std::vector<int> seen;  // touched only by jobs, read after wait()
  std::atomic<int> running{0};
  bool overlapped = false, on_caller = false;
  const auto caller = std::this_thread::get_id();
  {
    background_step step;
    for (int i = 0; i < 200; ++i) {
      step.start([&, i] {
        if (running.fetch_add(1) != 0) overlapped = true;
        if (std::this_thread::get_id() == caller) on_caller = true;
        seen.push_back(i);
        running.fetch_sub(1);
      });
    }
    step.wait();
    ASSERT_EQ(seen.size(), 200u);
  }
  for (int i = 0; i < 200; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_FALSE(overlapped);
  EXPECT_FALSE(on_caller);
}

TEST(BackgroundStep, TheDestructorFinishesTheJobInHand) {
  int value = 0;
  {
    background_step step;
    step.start([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      value = 7;
    });
  }
  EXPECT_EQ(value, 7);
}

TEST(BackgroundStep, WaitWithNothingInHandReturns) {
  background_step step;
  step.wait();
  step.wait();
}

}  // namespace
