// ferry-load's thread gate: waits end when every thread reported, or at the
// deadline when one did not.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "load/thread_gate.hpp"

namespace ferry::load {
namespace {

using namespace std::chrono_literals;

TEST(LoadThreadGate, OpensWhenEveryThreadReported) {
  thread_gate gate(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&gate] {
      gate.arrived();
      gate.finished();
    });
  }
  EXPECT_TRUE(gate.wait_arrived(thread_gate::clock::now() + 10s));
  EXPECT_TRUE(gate.wait_finished(thread_gate::clock::now() + 10s));
  for (auto& t : threads) t.join();
}

TEST(LoadThreadGate, TimesOutWhenOneIsMissing) {
  thread_gate gate(2);
  gate.arrived();
  gate.finished();
  const auto t0 = thread_gate::clock::now();
  EXPECT_FALSE(gate.wait_arrived(t0 + 50ms));
  EXPECT_GE(thread_gate::clock::now() - t0, 50ms);
  EXPECT_FALSE(gate.wait_finished(thread_gate::clock::now() + 1ms));
  gate.arrived();  // the late one still counts
  EXPECT_TRUE(gate.wait_arrived(thread_gate::clock::now()));
}

}  // namespace
}  // namespace ferry::load
