// Tests for the scheduler: first round takes everything, intervals and jitter bounds, batching of
// equal intervals, a running platform is never taken twice, and lateness accounting.
#include "serve/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace lifeline::serve {
namespace {

using namespace std::chrono_literals;
using TP = Scheduler::TimePoint;

std::set<std::size_t> Indices(const std::vector<Scheduler::Due>& due) {
  std::set<std::size_t> out;
  for (const auto& d : due) out.insert(d.index);
  return out;
}

TEST(Scheduler, FirstRoundTakesEveryPlatformOnTime) {
  Scheduler s({{"a", 30s}, {"b", 30s}, {"c", 10s}}, 0.1, 1);
  TP t0{};
  s.Start(t0);
  auto due = s.Take(t0);
  EXPECT_EQ(Indices(due), (std::set<std::size_t>{0, 1, 2}));
  for (const auto& d : due) EXPECT_EQ(d.lateness, 0ns);
  EXPECT_TRUE(s.Take(t0 + 1s).empty()) << "all are running";
  EXPECT_FALSE(s.NextWake().has_value()) << "nothing idle to wake for";
}

TEST(Scheduler, APlatformTakenOverRunsAtOnceNotAtItsNextSlot) {
  Scheduler s({{"a", 30s}, {"b", 30s}}, 0.0, 1);
  TP t0{};
  s.Start(t0);
  ASSERT_EQ(s.Take(t0).size(), 2u);
  s.Finished(0);
  s.Finished(1);
  s.DueBy(1, t0 + 5s);
  EXPECT_EQ(s.NextWake(), t0 + 5s);
  EXPECT_EQ(Indices(s.Take(t0 + 5s)), (std::set<std::size_t>{1}));
  s.DueBy(0, t0 + 40s);  // later than its slot: unchanged
  EXPECT_EQ(s.due(0), t0 + 30s);
}

TEST(Scheduler, NextDueIsIntervalWithinJitter) {
  Scheduler s({{"a", 30s}}, 0.1, 42);
  TP now{};
  s.Start(now);
  std::set<long long> seen;
  for (int round = 0; round < 200; ++round) {
    ASSERT_EQ(s.Take(now).size(), 1u);
    auto gap = s.due(0) - now;
    EXPECT_GE(gap, 27s);
    EXPECT_LE(gap, 33s);
    seen.insert(std::chrono::duration_cast<std::chrono::milliseconds>(gap).count());
    s.Finished(0);
    now = s.due(0);
  }
  EXPECT_GT(seen.size(), 50u) << "jitter must actually vary the interval";
}

TEST(Scheduler, NoJitterIsExact) {
  Scheduler s({{"a", 5s}}, 0.0, 7);
  TP now{};
  s.Start(now);
  s.Take(now);
  EXPECT_EQ(s.due(0), now + 5s);
}

TEST(Scheduler, EqualIntervalsStayInOneBatch) {
  Scheduler s({{"facebook", 30s}, {"instagram", 30s}, {"whatsapp", 30s}, {"x", 10s}}, 0.1, 3);
  TP now{};
  s.Start(now);
  s.Take(now);
  for (std::size_t i = 0; i < 4; ++i) s.Finished(i);
  // Over several minutes the three 30 s platforms always come together.
  for (int step = 0; step < 30; ++step) {
    now = *s.NextWake();
    auto due = Scheduler(s).Take(now);  // peek on a copy
    auto taken = s.Take(now);
    EXPECT_EQ(Indices(taken), Indices(due));
    auto ids = Indices(taken);
    bool any30 = ids.count(0) || ids.count(1) || ids.count(2);
    if (any30) {
      EXPECT_TRUE(ids.count(0) && ids.count(1) && ids.count(2));
    }
    for (auto i : ids) s.Finished(i);
  }
}

TEST(Scheduler, PlatformDueWithinTheWindowJoinsEarly) {
  Scheduler s({{"a", 10000ms}, {"b", 10200ms}, {"c", 10600ms}}, 0.0, 1, 250ms);
  TP t0{};
  s.Start(t0);
  s.Take(t0);
  for (std::size_t i = 0; i < 3; ++i) s.Finished(i);
  EXPECT_EQ(*s.NextWake(), t0 + 10s);
  EXPECT_TRUE(s.Take(t0 + 9900ms).empty()) << "nothing is due yet: no early round";
  auto due = s.Take(t0 + 10s);
  EXPECT_EQ(Indices(due), (std::set<std::size_t>{0, 1})) << "b is due within 250 ms, c is not";
  for (const auto& d : due) EXPECT_EQ(d.lateness, 0ns);
}

TEST(Scheduler, LatenessIsHowLongAfterItsDueTimeARoundStarted) {
  Scheduler s({{"a", 10s}}, 0.0, 1);
  TP t0{};
  s.Start(t0);
  s.Take(t0);
  s.Finished(0);
  auto due = s.Take(t0 + 10s + 1500ms);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].lateness, 1500ms);
}

TEST(Scheduler, ARunningPlatformQueuesAndStartsLateOnceFinished) {
  Scheduler s({{"slow", 5s}, {"fast", 5s}}, 0.0, 1);
  TP t0{};
  s.Start(t0);
  s.Take(t0);
  s.Finished(1);  // fast is done at once; slow's round takes 8 s
  EXPECT_EQ(s.Queue(t0 + 4s), 0u);
  EXPECT_EQ(s.Queue(t0 + 6s), 2u) << "fast is due and idle, slow is due but still running";
  auto due = s.Take(t0 + 6s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].index, 1u);
  EXPECT_EQ(s.Queue(t0 + 6s), 1u) << "slow still waits";
  s.Finished(0);
  due = s.Take(t0 + 8s);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].index, 0u);
  EXPECT_EQ(due[0].lateness, 3s);
  EXPECT_EQ(s.due(0), t0 + 13s) << "the next start counts from the late start, not a burst";
}

TEST(Scheduler, NextWakeIsTheEarliestIdleDue) {
  Scheduler s({{"a", 30s}, {"b", 10s}}, 0.0, 1);
  TP t0{};
  s.Start(t0);
  s.Take(t0);
  s.Finished(0);
  EXPECT_EQ(*s.NextWake(), t0 + 30s) << "b is running";
  s.Finished(1);
  EXPECT_EQ(*s.NextWake(), t0 + 10s);
}

TEST(Scheduler, ManyProbesAreSplitIntoGroupsSpreadOverTheInterval) {
  // 10 platforms of 1 probe, groups of at most 3 probes: 4 groups at 0, 2.5, 5 and 7.5 s.
  std::vector<Scheduler::Entry> entries;
  for (int i = 0; i < 10; ++i) entries.push_back({"p" + std::to_string(i), 10s, 1});
  entries.push_back({"other", 30s, 2});  // its own interval: a group of its own, due at once
  Scheduler s(entries, 0.0, 1, 250ms, 3);
  TP t0{};
  s.Start(t0);
  EXPECT_EQ(s.group(0), 0u);
  EXPECT_EQ(s.group(3), 1u);
  EXPECT_EQ(s.group(9), 3u);
  EXPECT_EQ(s.group(10), 0u);
  EXPECT_EQ(Indices(s.Take(t0)), (std::set<std::size_t>{0, 1, 2, 10}));
  EXPECT_EQ(*s.NextWake(), t0 + 2500ms);
  EXPECT_TRUE(s.Take(t0 + 2s).empty());
  EXPECT_EQ(Indices(s.Take(t0 + 2500ms)), (std::set<std::size_t>{3, 4, 5}));
  EXPECT_EQ(Indices(s.Take(t0 + 7500ms)), (std::set<std::size_t>{6, 7, 8, 9}))
      << "group 2 is late, group 3 is due: one round, lateness per platform";
  EXPECT_EQ(s.due(9), t0 + 17500ms);
}

TEST(Scheduler, GroupsTakenTogetherOnceDoNotMergeForGood) {
  // Two groups with jitter: when they are due together they share that round, but each draws its
  // own next start, so over many rounds they are mostly apart (with one draw per batch they
  // would stay merged forever after the first meeting).
  Scheduler s({{"a", 10s, 1}, {"b", 10s, 1}}, 0.1, 5, 250ms, 1);
  TP now{};
  s.Start(now);
  int together = 0, rounds = 0;
  for (int step = 0; step < 400; ++step) {
    now = *s.NextWake();
    auto taken = s.Take(now);
    ASSERT_FALSE(taken.empty());
    if (taken.size() == 2) ++together;
    ++rounds;
    for (const auto& d : taken) s.Finished(d.index);
  }
  EXPECT_LT(together * 4, rounds) << together << " of " << rounds << " rounds had both";
}

TEST(Scheduler, WithoutAGroupLimitEverythingStartsTogether) {
  std::vector<Scheduler::Entry> entries;
  for (int i = 0; i < 1000; ++i) entries.push_back({"p" + std::to_string(i), 10s, 3});
  Scheduler s(entries, 0.1, 1);
  TP t0{};
  s.Start(t0);
  EXPECT_EQ(s.Take(t0).size(), 1000u);
}

// A monitoring window after restoration: the platform is probed every 10 s instead of 5 min while
// it lasts (its next round is brought forward), then goes back to its own interval.
TEST(Scheduler, AnOverriddenIntervalBringsTheNextRoundForwardAndIsUndone) {
  Scheduler s({{"a", 300s}, {"b", 300s}}, 0.0, 1);
  TP t0{};
  s.Start(t0);
  ASSERT_EQ(s.Take(t0).size(), 2u);
  s.Finished(0);
  s.Finished(1);
  ASSERT_EQ(s.NextWake(), t0 + 300s);

  s.OverrideInterval(0, 10s, t0 + 20s);
  EXPECT_EQ(s.interval(0), 10s);
  EXPECT_EQ(s.due(0), t0 + 30s) << "brought forward to now + the shorter interval";
  EXPECT_EQ(s.due(1), t0 + 300s) << "the other platform keeps its own";
  auto due = s.Take(t0 + 30s);
  ASSERT_EQ(Indices(due), (std::set<std::size_t>{0}));
  s.Finished(0);
  EXPECT_EQ(s.due(0), t0 + 40s) << "every 10 s while the window lasts";

  s.OverrideInterval(0, std::nullopt, t0 + 35s);
  EXPECT_EQ(s.interval(0), 300s);
  ASSERT_EQ(s.Take(t0 + 40s).size(), 1u) << "the round already due still runs";
  s.Finished(0);
  EXPECT_EQ(s.due(0), t0 + 340s) << "then its own interval again";
  s.OverrideInterval(1, 900s, t0 + 40s);
  EXPECT_EQ(s.interval(1), 300s) << "a window never slows a platform down";
  s.OverrideInterval(7, 10s, t0);  // unknown: ignored
}

// Thousands of platforms in groups, rounds finishing out of order, takeovers and monitoring
// windows: at every step the scheduler takes exactly the idle platforms due (within the batch
// window), wakes at the earliest idle one and counts the queue as a scan of every platform would.
TEST(Scheduler, ItsIndexOfDueTimesAgreesWithAScanOfEveryPlatform) {
  std::vector<Scheduler::Entry> entries;
  for (int i = 0; i < 3000; ++i) {
    entries.push_back(
        {"p" + std::to_string(i), i % 3 == 0 ? 10s : 30s, static_cast<std::size_t>(1 + i % 2)});
  }
  Scheduler s(entries, 0.1, 7, 250ms, 256);
  TP now{};
  s.Start(now);
  std::mt19937_64 rng(3);
  std::vector<std::size_t> running;
  for (int step = 0; step < 400; ++step) {
    now += std::chrono::milliseconds(rng() % 400);
    std::size_t idle_due = 0, queue = 0;
    std::set<std::size_t> expected;
    std::optional<TP> wake;
    for (std::size_t i = 0; i < s.size(); ++i) {
      queue += s.due(i) <= now;
      if (s.running(i)) continue;
      if (!wake || s.due(i) < *wake) wake = s.due(i);
      idle_due += s.due(i) <= now;
      if (s.due(i) <= now + 250ms) expected.insert(i);
    }
    ASSERT_EQ(s.NextWake(), wake) << "step " << step;
    ASSERT_EQ(s.Queue(now), queue) << "step " << step;
    auto taken = s.Take(now);
    ASSERT_EQ(Indices(taken), idle_due > 0 ? expected : std::set<std::size_t>{}) << step;
    for (const auto& d : taken) running.push_back(d.index);
    // Some rounds end (in any order); a platform is taken over; a window probes one faster.
    std::shuffle(running.begin(), running.end(), rng);
    for (std::size_t k = running.size() / 2; k < running.size(); ++k) s.Finished(running[k]);
    running.resize(running.size() / 2);
    s.DueBy(rng() % s.size(), now + std::chrono::milliseconds(rng() % 1000));
    const std::size_t w = rng() % s.size();
    s.OverrideInterval(w, step % 2 ? std::optional(2s) : std::nullopt, now);
  }
}

}  // namespace
}  // namespace lifeline::serve
