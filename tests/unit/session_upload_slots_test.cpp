// Upload slots: the per-user and per-server caps, giving back on destruction
// and on move, and the descriptor budget.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <vector>

#include "session/upload_slots.hpp"

namespace {

using ferry::session::budget_for;
using ferry::session::upload_slot;

TEST(UploadSlots, TheUsersCapThenTheServersCap) {
  std::atomic<unsigned> server{0}, alice{0}, bob{0};
  std::vector<upload_slot> held;
  for (int i = 0; i < 3; ++i) {
    auto s = upload_slot::take(server, 5, alice, 3);
    ASSERT_TRUE(s);
    held.push_back(std::move(*s));
  }
  EXPECT_FALSE(upload_slot::take(server, 5, alice, 3)) << "alice is at her cap";
  EXPECT_EQ(alice.load(), 3u) << "a refused take leaves no count behind";
  for (int i = 0; i < 2; ++i) {
    auto s = upload_slot::take(server, 5, bob, 3);
    ASSERT_TRUE(s);
    held.push_back(std::move(*s));
  }
  EXPECT_FALSE(upload_slot::take(server, 5, bob, 3)) << "the server is at its cap";
  EXPECT_EQ(bob.load(), 2u) << "the user's count is given back when the server refuses";
  EXPECT_EQ(server.load(), 5u);
  held.clear();
  EXPECT_EQ(server.load(), 0u);
  EXPECT_EQ(alice.load(), 0u);
  EXPECT_EQ(bob.load(), 0u);
}

TEST(UploadSlots, ZeroMeansNoCapAndMovesCountOnce) {
  std::atomic<unsigned> server{0}, user{0};
  std::optional<upload_slot> a = upload_slot::take(server, 0, user, 0);
  ASSERT_TRUE(a);
  upload_slot b = std::move(*a);
  a.reset();
  EXPECT_EQ(server.load(), 1u) << "the moved-from slot gives nothing back";
  upload_slot c = std::move(*upload_slot::take(server, 0, user, 0));
  c = std::move(b);
  EXPECT_EQ(server.load(), 1u) << "assigning over a slot gives that one back";
  EXPECT_EQ(user.load(), 1u);
}

TEST(UploadSlots, BudgetLeavesAReserveAndSplitsTheRest) {
  EXPECT_EQ(budget_for(1024).max_sessions, 320u);
  EXPECT_EQ(budget_for(1024).max_open_uploads, 320u);
  EXPECT_EQ(budget_for(384).max_open_uploads, 106u);
  EXPECT_GE(budget_for(10).max_sessions, 2u) << "a tiny limit still serves someone";
  EXPECT_EQ(budget_for(1u << 30).max_sessions, 1u << 20) << "capped, no overflow";
}

}  // namespace
