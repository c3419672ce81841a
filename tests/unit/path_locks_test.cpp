// Upload path locks (the in-process local_path_locks behind the path_locks
// interface): one holder per (dev, ino, leaf) key, released when the
// guard dies or is reset; keys differing in any field do not collide; guard
// moves transfer ownership; and racing threads get exactly one winner.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <barrier>
#include <thread>
#include <utility>
#include <vector>

#include "vfs/path_locks.hpp"

namespace {

using ferry::vfs::path_key;
using ferry::vfs::local_path_locks;
using ferry::vfs::path_locks;

const path_key key_a{.dev = 1, .ino = 2, .leaf = "a.txt"};
const path_key key_b{.dev = 1, .ino = 2, .leaf = "b.txt"};

TEST(PathLocks, SecondTryLockFailsWhileFirstGuardLives) {
  local_path_locks locks;
  {
    auto first = locks.try_lock(key_a);
    ASSERT_TRUE(first);
    EXPECT_FALSE(locks.try_lock(key_a));
    EXPECT_FALSE(locks.try_lock(key_a)) << "a failed attempt must not disturb the holder";
  }
  EXPECT_TRUE(locks.try_lock(key_a)) << "destroying the guard releases the key";
}

TEST(PathLocks, ResetReleasesAndEmptiesTheGuard) {
  local_path_locks locks;
  auto g = locks.try_lock(key_a);
  ASSERT_TRUE(g);
  g.reset();
  EXPECT_FALSE(g);
  auto again = locks.try_lock(key_a);
  EXPECT_TRUE(again);
  g.reset();  // a second reset of an empty guard releases nothing
  EXPECT_FALSE(locks.try_lock(key_a)) << "the new holder keeps its lock";
}

TEST(PathLocks, DefaultGuardIsEmpty) {
  path_locks::guard g;
  EXPECT_FALSE(g);
  g.reset();
  EXPECT_FALSE(g);
}

TEST(PathLocks, KeysDifferingInAnyFieldDoNotCollide) {
  local_path_locks locks;
  auto held = locks.try_lock(key_a);
  ASSERT_TRUE(held);
  auto other_leaf = locks.try_lock(key_b);
  auto other_dev = locks.try_lock({.dev = 9, .ino = 2, .leaf = "a.txt"});
  auto other_ino = locks.try_lock({.dev = 1, .ino = 9, .leaf = "a.txt"});
  EXPECT_TRUE(other_leaf);
  EXPECT_TRUE(other_dev);
  EXPECT_TRUE(other_ino);
  // Each of them is now held in its own right.
  EXPECT_FALSE(locks.try_lock(key_b));
  EXPECT_FALSE(locks.try_lock({.dev = 9, .ino = 2, .leaf = "a.txt"}));
  EXPECT_FALSE(locks.try_lock({.dev = 1, .ino = 9, .leaf = "a.txt"}));
}

TEST(PathLocks, SeparateLockTablesDoNotShareKeys) {
  local_path_locks one, two;
  auto g1 = one.try_lock(key_a);
  auto g2 = two.try_lock(key_a);
  EXPECT_TRUE(g1);
  EXPECT_TRUE(g2);
}

TEST(PathLocks, MoveConstructionTransfersOwnership) {
  local_path_locks locks;
  auto from = locks.try_lock(key_a);
  ASSERT_TRUE(from);
  {
    path_locks::guard to(std::move(from));
    EXPECT_TRUE(to);
    EXPECT_FALSE(from) << "a moved-from guard is empty";
    from.reset();  // the moved-from guard releases nothing...
    EXPECT_FALSE(locks.try_lock(key_a)) << "...so the key is still held by `to`";
  }
  EXPECT_TRUE(locks.try_lock(key_a)) << "the new owner released it";
}

TEST(PathLocks, MovedFromGuardDestroyedFirstReleasesNothing) {
  local_path_locks locks;
  path_locks::guard to;
  {
    auto from = locks.try_lock(key_a);
    ASSERT_TRUE(from);
    to = std::move(from);
  }  // `from` dies here
  EXPECT_TRUE(to);
  EXPECT_FALSE(locks.try_lock(key_a));
}

TEST(PathLocks, MoveAssignmentReleasesThePreviouslyHeldKey) {
  local_path_locks locks;
  auto a = locks.try_lock(key_a);
  auto b = locks.try_lock(key_b);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  a = std::move(b);
  EXPECT_TRUE(a);
  EXPECT_FALSE(b) << "a moved-from guard is empty";
  EXPECT_TRUE(locks.try_lock(key_a)) << "a's old key was released by the assignment";
  EXPECT_FALSE(locks.try_lock(key_b)) << "b's key now belongs to a";
  a.reset();
  EXPECT_TRUE(locks.try_lock(key_b));
}

TEST(PathLocks, SelfMoveAssignmentKeepsTheLock) {
  local_path_locks locks;
  auto g = locks.try_lock(key_a);
  ASSERT_TRUE(g);
  auto& alias = g;
  g = std::move(alias);
  EXPECT_TRUE(g);
  EXPECT_FALSE(locks.try_lock(key_a));
  g.reset();
  EXPECT_TRUE(locks.try_lock(key_a));
}

TEST(PathLocks, ConcurrentTryLockHasExactlyOneWinnerPerRound) {
  constexpr int rounds = 200;
  constexpr int threads = 4;
  local_path_locks locks;
  std::array<std::atomic<int>, rounds> wins{};
  std::barrier sync(threads);
  auto worker = [&] {
    for (int r = 0; r < rounds; ++r) {
      sync.arrive_and_wait();  // everyone starts the round together
      auto g = locks.try_lock(key_a);
      if (g) wins[static_cast<std::size_t>(r)].fetch_add(1);
      sync.arrive_and_wait();  // everyone has tried while the winner still holds
    }  // the winner's guard releases before the next round starts
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  for (int r = 0; r < rounds; ++r) EXPECT_EQ(wins[static_cast<std::size_t>(r)].load(), 1) << "round " << r;
  EXPECT_TRUE(locks.try_lock(key_a)) << "every winner released the key";
}

}  // namespace
