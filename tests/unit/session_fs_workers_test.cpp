// The worker pool for blocking filesystem calls: results and exceptions come
// back to the caller's own loop, and a call stuck on a worker stalls neither
// that loop nor other calls.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include "session/fs_workers.hpp"

namespace {

using ferry::session::fs_workers;
using namespace std::chrono_literals;

TEST(FsWorkers, RunsOffTheLoopAndResumesOnIt) {
  asio::io_context loop;
  fs_workers fs(2);
  std::thread::id caller, worker, resumed;
  int result = 0;
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        caller = std::this_thread::get_id();
        result = co_await fs.run([&] {
          worker = std::this_thread::get_id();
          return 42;
        });
        resumed = std::this_thread::get_id();
      },
      asio::detached);
  loop.run();
  EXPECT_EQ(result, 42);
  EXPECT_NE(worker, caller) << "the call ran on the loop's thread";
  EXPECT_EQ(resumed, caller) << "the caller must resume on its own loop";
}

TEST(FsWorkers, AnExceptionReachesTheCaller) {
  asio::io_context loop;
  fs_workers fs(1);
  bool caught = false;
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        try {
          co_await fs.run([]() -> int { throw std::runtime_error("disk on fire"); });
        } catch (const std::runtime_error& e) {
          caught = std::string(e.what()) == "disk on fire";
        }
      },
      asio::detached);
  loop.run();
  EXPECT_TRUE(caught);
}

TEST(FsWorkers, AStuckCallStallsNeitherTheLoopNorOtherCalls) {
  asio::io_context loop;
  fs_workers fs(2);
  std::promise<void> unstick;
  auto stuck = unstick.get_future().share();
  bool stuck_done = false, other_done = false, timer_fired = false;
  // A call that hangs like a read from a dead mount, until released below.
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        co_await fs.run([stuck] { stuck.wait(); });
        stuck_done = true;
      },
      asio::detached);
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(loop, 10ms);
        co_await t.async_wait(asio::use_awaitable);
        timer_fired = true;
        co_await fs.run([] {});
        other_done = true;
        EXPECT_FALSE(stuck_done) << "the stuck call must still be stuck";
        unstick.set_value();
      },
      asio::detached);
  loop.run();
  EXPECT_TRUE(timer_fired);
  EXPECT_TRUE(other_done);
  EXPECT_TRUE(stuck_done);
}

TEST(FsWorkers, OneKeyHoldsAtMostHalfTheWorkers) {
  asio::io_context loop;
  fs_workers fs(4);
  ASSERT_EQ(fs.per_key(), 2u);
  int a_key = 0, b_key = 0;  // two users
  std::promise<void> unstick;
  auto stuck = unstick.get_future().share();
  std::atomic<int> a_started{0};
  bool a_third_done = false, b_done = false;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        loop,
        [&, i]() -> asio::awaitable<void> {
          co_await fs.run(&a_key, [&, stuck] {
            ++a_started;
            stuck.wait();
          });
          if (i == 2) a_third_done = true;
        },
        asio::detached);
  }
  asio::co_spawn(
      loop,
      [&]() -> asio::awaitable<void> {
        asio::steady_timer t(loop, 20ms);
        co_await t.async_wait(asio::use_awaitable);
        co_await fs.run(&b_key, [] {});  // a worker is free for the other user
        b_done = true;
        EXPECT_EQ(a_started.load(), 2) << "a third call of one user ran beside two stuck ones";
        unstick.set_value();
      },
      asio::detached);
  loop.run();
  EXPECT_TRUE(b_done);
  EXPECT_TRUE(a_third_done) << "the waiting call runs once a slot is free";
  EXPECT_EQ(a_started.load(), 3);
}

TEST(FsWorkers, ZeroPicksTheDefault) {
  fs_workers fs(0);
  EXPECT_EQ(fs.size(), 16u);
}

}  // namespace
