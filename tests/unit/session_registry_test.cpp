// The session registry and its shutdown gate (session/session_registry.hpp):
// limits per server, address and user; the gate stops admissions, asks every
// live session to finish, and waits for them with a deadline.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "session/session_registry.hpp"

using ferry::session::session_limits;
using ferry::session::session_registry;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(SessionRegistry, GlobalAndPerAddressLimits) {
  session_registry r({3, 2});
  const auto a = r.open("10.0.0.1");
  const auto b = r.open("10.0.0.1");
  EXPECT_NE(a, 0u);
  EXPECT_NE(b, 0u);
  EXPECT_NE(a, b);
  EXPECT_EQ(r.open("10.0.0.1"), 0u) << "third connection from one address";
  const auto c = r.open("10.0.0.2"), d = r.open("10.0.0.3");
  ASSERT_NE(c, 0u);
  ASSERT_NE(d, 0u);
  EXPECT_TRUE(r.bind_user(a, "u", 0));
  EXPECT_TRUE(r.bind_user(b, "u", 0));
  EXPECT_TRUE(r.bind_user(c, "v", 0));
  EXPECT_FALSE(r.bind_user(d, "w", 0)) << "over the global limit of logged-in sessions";
  EXPECT_EQ(r.count(), 4u);
  r.close(a);
  EXPECT_TRUE(r.bind_user(d, "w", 0)) << "a closed session frees its slot";
  EXPECT_NE(r.open("10.0.0.1"), 0u) << "and its address's";
}

TEST(SessionRegistry, ConnectionsNotLoggedInHaveTheirOwnPool) {
  session_registry r({2, 0, 3, 2});
  const auto a = r.open("10.0.0.1"), b = r.open("10.0.0.1");
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  EXPECT_EQ(r.open("10.0.0.1"), 0u) << "two pending from one address";
  const auto c = r.open("10.0.0.2");
  ASSERT_NE(c, 0u);
  EXPECT_EQ(r.open("10.0.0.3"), 0u) << "three pending in all";
  EXPECT_EQ(r.pending(), 3u);
  EXPECT_TRUE(r.bind_user(a, "alex", 0));
  EXPECT_EQ(r.pending(), 2u) << "a login leaves the pending pool";
  const auto d = r.open("10.0.0.1");
  EXPECT_NE(d, 0u) << "so another may connect from that address";
  // Logged-in users keep their slots whatever the pending pool does.
  EXPECT_TRUE(r.bind_user(c, "bo", 0));
  EXPECT_FALSE(r.bind_user(b, "cy", 0)) << "two logged in already (max_sessions)";
  r.close(b);
  r.close(d);
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_EQ(r.count(), 2u);
  r.unbind_user(a);
  r.close(a);
  r.close(c);
  EXPECT_EQ(r.count(), 0u);
  EXPECT_NE(r.open("10.0.0.9"), 0u);
}

TEST(SessionRegistry, PerUserLimitAndCounts) {
  session_registry r({0, 0});
  const auto a = r.open("h"), b = r.open("h"), c = r.open("h");
  EXPECT_TRUE(r.bind_user(a, "alex", 2));
  EXPECT_TRUE(r.bind_user(b, "alex", 2));
  EXPECT_FALSE(r.bind_user(c, "alex", 2));
  EXPECT_EQ(r.user_count("alex"), 2u);
  EXPECT_TRUE(r.bind_user(c, "bo", 0)) << "0 = unlimited";
  r.close(a);
  EXPECT_EQ(r.user_count("alex"), 1u);
  r.close(a);  // closing twice is harmless (the listener closes after an exception)
  EXPECT_EQ(r.count(), 2u);
  EXPECT_FALSE(r.bind_user(a, "alex", 0)) << "a closed id cannot log in";
}

TEST(SessionGate, ClosedGateAdmitsNoOne) {
  session_registry r({0, 0});
  const auto a = r.open("h");
  EXPECT_FALSE(r.gate_closed());
  r.close_gate();
  EXPECT_TRUE(r.gate_closed());
  EXPECT_EQ(r.open("h"), 0u);
  EXPECT_EQ(r.count(), 1u) << "sessions already admitted go on";
  r.close(a);
}

TEST(SessionGate, StopAllAsksEverySessionIncludingLateRegistrations) {
  session_registry r({0, 0});
  const auto a = r.open("h"), b = r.open("h");
  std::atomic<int> asked{0};
  r.on_stop(a, [&] { ++asked; });
  r.stop_all();
  EXPECT_EQ(asked.load(), 1);
  EXPECT_EQ(r.open("h"), 0u) << "stop_all closes the gate";
  // A session that installs its hook after the request is asked at once.
  r.on_stop(b, [&] { ++asked; });
  EXPECT_EQ(asked.load(), 2);
}

TEST(SessionGate, WaitsForALiveSessionThenGivesUpAtTheDeadline) {
  session_registry r({0, 0});
  const auto id = r.open("h");
  r.on_stop(id, [] {});  // this session ignores the request: still busy
  r.stop_all();
  const auto start = clock_type::now();
  EXPECT_FALSE(r.wait_idle(start + 200ms)) << "the session is still live";
  EXPECT_GE(clock_type::now() - start, 200ms) << "it waited for the deadline";
  EXPECT_EQ(r.count(), 1u);
  r.close(id);
  EXPECT_TRUE(r.wait_idle(clock_type::now() + 10s));
}

TEST(SessionGate, WakesWhenTheLastSessionEnds) {
  session_registry r({0, 0});
  const auto a = r.open("h"), b = r.open("h");
  // Each session finishes a moment after it is asked, on its own thread.
  std::vector<std::thread> finishing;
  for (auto id : {a, b})
    r.on_stop(id, [&r, &finishing, id] {
      finishing.emplace_back([&r, id] {
        std::this_thread::sleep_for(20ms);
        r.close(id);
      });
    });
  r.stop_all();
  EXPECT_TRUE(r.wait_idle(clock_type::now() + 30s));
  EXPECT_EQ(r.count(), 0u);
  for (auto& t : finishing) t.join();
}

TEST(SessionGate, ReleasedWaitersStopWaitingAtOnce) {
  session_registry r({0, 0});
  const auto id = r.open("h");
  r.stop_all();
  std::thread second_signal([&r] {
    std::this_thread::sleep_for(50ms);
    r.release_waiters();
  });
  EXPECT_FALSE(r.wait_idle(clock_type::now() + 1h)) << "released long before the deadline";
  second_signal.join();
  EXPECT_FALSE(r.wait_idle(clock_type::now() + 1h)) << "later waits return at once too";
  r.close(id);
  EXPECT_TRUE(r.wait_idle(clock_type::now() + 1h));
}

TEST(SessionRegistry, UnbindFreesTheUserSlotButTheGateStillWaits) {
  session_registry r({0, 0});
  const auto a = r.open("h"), b = r.open("h");
  EXPECT_TRUE(r.bind_user(a, "solo", 1));
  EXPECT_FALSE(r.bind_user(b, "solo", 1));
  r.unbind_user(a);  // a is saying goodbye
  EXPECT_EQ(r.user_count("solo"), 0u);
  EXPECT_TRUE(r.bind_user(b, "solo", 1)) << "the slot is free at once";
  r.unbind_user(a);  // twice is harmless
  r.close(a);        // and close does not free b's slot
  EXPECT_EQ(r.user_count("solo"), 1u);
  EXPECT_EQ(r.count(), 1u);
  EXPECT_FALSE(r.wait_idle(clock_type::now() + 10ms)) << "b is still live";
  r.close(b);
}

TEST(SessionRegistry, ListAndKickByIdAndByUser) {
  session_registry r({0, 0});
  const auto a = r.open("10.0.0.1"), b = r.open("10.0.0.1"), c = r.open("10.0.0.2");
  std::atomic<int> kicked_a{0}, kicked_b{0}, kicked_c{0};
  r.publish(a, std::make_shared<ferry::session::session_activity>("ferry", "10.0.0.1:1"), [&] { ++kicked_a; });
  r.publish(b, std::make_shared<ferry::session::session_activity>("ftp", "10.0.0.1:2"), [&] { ++kicked_b; });
  r.publish(c, std::make_shared<ferry::session::session_activity>("ftps", "10.0.0.2:3"), [&] { ++kicked_c; });
  ASSERT_TRUE(r.bind_user(a, "alex", 0));
  ASSERT_TRUE(r.bind_user(b, "alex", 0));
  ASSERT_TRUE(r.bind_user(c, "bo", 0));
  const auto list = r.list();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, a);
  EXPECT_EQ(list[0].user, "alex");
  EXPECT_EQ(list[1].activity->read().protocol, "ftp");
  EXPECT_EQ(list[2].activity->read().peer, "10.0.0.2:3");

  EXPECT_TRUE(r.kick(c));
  EXPECT_EQ(kicked_c, 1);
  EXPECT_FALSE(r.kick(999)) << "no such session";
  EXPECT_EQ(r.kick_user("alex"), 2u);
  EXPECT_EQ(kicked_a, 1);
  EXPECT_EQ(kicked_b, 1);
  EXPECT_EQ(r.kick_user("nobody"), 0u);
  // A kick only asks: the sessions stay until they close themselves.
  EXPECT_EQ(r.count(), 3u);
  r.close(a);
  EXPECT_EQ(r.list().size(), 2u);
}

TEST(SessionActivity, ShowsTheCurrentTransferUntilItEnds) {
  ferry::session::session_activity act("ferry", "127.0.0.1:9");
  EXPECT_FALSE(act.read().transferring);
  act.begin_transfer("/a.bin", false, 1000, 100);
  act.add(200);
  act.add(50);
  auto v = act.read();
  EXPECT_TRUE(v.transferring);
  EXPECT_EQ(v.path, "/a.bin");
  EXPECT_FALSE(v.incoming);
  EXPECT_EQ(v.size, 1000u);
  EXPECT_EQ(v.offset, 100u);
  EXPECT_EQ(v.done, 250u);
  act.set_done(400);
  EXPECT_EQ(act.read().done, 400u);
  act.end_transfer("/other");  // another transfer's end does not clear this one
  EXPECT_TRUE(act.read().transferring);
  act.end_transfer("/a.bin");
  EXPECT_FALSE(act.read().transferring);
  EXPECT_TRUE(act.read().path.empty());
}

TEST(SessionActivity, ReadersOnOtherThreadsSeeNoTornPath) {
  ferry::session::session_activity act("ferry", "p");
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop) {
      const auto v = act.read();
      if (v.transferring) {
        EXPECT_TRUE(v.path.empty() || v.path == "/aaaa" || v.path == "/bbbbbbbb") << v.path;
      }
    }
  });
  for (int i = 0; i < 20000; ++i) {
    const std::string p = i % 2 ? "/aaaa" : "/bbbbbbbb";
    act.begin_transfer(p, true, 0, 0);
    act.add(1);
    act.end_transfer(p);
  }
  stop = true;
  reader.join();
}
