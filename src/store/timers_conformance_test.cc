// Behaviour every Store's timers must have (timers.h's contract), as part of the StoreConformance
// suite: each dialect that instantiates the suite runs these too. Times are explicit.
#include <gmock/gmock.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using core::ErrorCode;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z
constexpr milliseconds kLease = seconds(30);

#define ASSERT_OK(expr)                                             \
  do {                                                              \
    auto&& _r = (expr);                                             \
    ASSERT_TRUE(_r.ok()) << #expr << ": " << _r.error().ToString(); \
  } while (0)

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

NewTimer At(std::string key, Time due, std::string kind = "playbook.escalate",
            std::string owner = "") {
  NewTimer t;
  t.key = std::move(key);
  t.kind = std::move(kind);
  t.due = due;
  t.payload_json = R"({"step":2})";
  t.owner = std::move(owner);
  t.created_at = kT0;
  return t;
}

std::vector<std::string> Keys(const std::vector<Timer>& ts) {
  std::vector<std::string> out;
  for (const Timer& t : ts) out.push_back(t.key);
  return out;
}

TEST_P(StoreConformance, TimersScheduleIsIdempotentByKey) {
  TimerStore& ts = store_->Timers();
  ScheduledTimer first = Must(ts.Schedule(At("esc/inc_1/2", kT0 + minutes(15))));
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.timer.id.rfind("tmr_", 0), 0u);
  EXPECT_EQ(first.timer.state, TimerState::kPending);
  EXPECT_EQ(first.timer.due, kT0 + minutes(15));
  EXPECT_EQ(first.timer.attempts, 0);
  EXPECT_EQ(first.timer.payload_json, R"({"step":2})");
  EXPECT_FALSE(first.timer.lease_until);

  // Again with another due time, kind and payload: the first one wins, nothing is stored.
  NewTimer again = At("esc/inc_1/2", kT0 + minutes(1), "other.kind");
  again.payload_json = "{}";
  ScheduledTimer second = Must(ts.Schedule(again));
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.timer.id, first.timer.id);
  EXPECT_EQ(second.timer.due, kT0 + minutes(15));
  EXPECT_EQ(second.timer.kind, "playbook.escalate");
  EXPECT_EQ(second.timer.payload_json, R"({"step":2})");
  EXPECT_EQ(Must(ts.List({})).size(), 1u);

  // Reschedule is how it moves.
  Timer moved = Must(ts.Reschedule("esc/inc_1/2", kT0 + minutes(5), kT0 + seconds(1)));
  EXPECT_EQ(moved.due, kT0 + minutes(5));
  EXPECT_EQ(moved.updated_at, kT0 + seconds(1));
  EXPECT_EQ(Must(ts.Get("esc/inc_1/2")).due, kT0 + minutes(5));
  EXPECT_EQ(ts.Reschedule("nope", kT0, kT0).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(ts.Get("nope").error().code(), ErrorCode::kNotFound);

  // A timer that already ran is not scheduled again by the same key: it stays done.
  Timer claimed = Must(ts.ClaimDue(kT0 + minutes(5), "w1", kLease, 10)).at(0);
  ASSERT_OK(ts.Complete(claimed.id, "w1", kT0 + minutes(5)));
  ScheduledTimer after = Must(ts.Schedule(At("esc/inc_1/2", kT0 + hours(1))));
  EXPECT_FALSE(after.created);
  EXPECT_EQ(after.timer.state, TimerState::kDone);
  EXPECT_TRUE(Must(ts.ClaimDue(kT0 + hours(2), "w1", kLease, 10)).empty());
}

TEST_P(StoreConformance, TimersBadInputStoresNothing) {
  TimerStore& ts = store_->Timers();
  EXPECT_EQ(ts.Schedule(At("", kT0)).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(ts.Schedule(At("k", kT0, "")).error().message(), HasSubstr("kind"));
  EXPECT_FALSE(ts.Schedule(At(std::string(201, 'k'), kT0)).ok());
  NewTimer bad = At("k", kT0);
  bad.payload_json = "{not json";
  EXPECT_THAT(ts.Schedule(bad).error().message(), HasSubstr("payload_json"));
  EXPECT_TRUE(Must(ts.List({})).empty());

  EXPECT_EQ(ts.ClaimDue(kT0, "", kLease, 10).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.ClaimDue(kT0, "w", milliseconds(0), 10).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.ClaimDue(kT0, "w", kLease, 0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.ClaimDue(kT0, "w", kLease, 1001).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.List({.limit = 0}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.CancelOwner("", kT0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.Complete("tmr_x", "", kT0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ts.Complete("tmr_x", "w", kT0).error().code(), ErrorCode::kNotFound);
}

TEST_P(StoreConformance, TimersAreClaimedEarliestDueFirst) {
  TimerStore& ts = store_->Timers();
  EXPECT_FALSE(Must(ts.NextDue()).has_value());
  ASSERT_OK(ts.Schedule(At("c", kT0 + seconds(30))));
  ASSERT_OK(ts.Schedule(At("a", kT0 + seconds(10))));
  ASSERT_OK(ts.Schedule(At("later", kT0 + minutes(10))));
  ASSERT_OK(ts.Schedule(At("b", kT0 + seconds(20))));
  ASSERT_OK(ts.Schedule(At("b2", kT0 + seconds(20))));  // same due: scheduling order
  EXPECT_EQ(Must(ts.NextDue()), kT0 + seconds(10));

  // Nothing is due before its time.
  EXPECT_TRUE(Must(ts.ClaimDue(kT0 + seconds(9), "w1", kLease, 10)).empty());

  const Time now = kT0 + minutes(1);
  std::vector<Timer> first = Must(ts.ClaimDue(now, "w1", kLease, 3));
  EXPECT_THAT(Keys(first), ElementsAre("a", "b", "b2"));
  for (const Timer& t : first) {
    EXPECT_EQ(t.state, TimerState::kClaimed);
    EXPECT_EQ(t.claimed_by, "w1");
    EXPECT_EQ(t.lease_until, now + kLease);
    EXPECT_EQ(t.attempts, 1);
    EXPECT_EQ(t.updated_at, now);
  }
  // Claimed timers are not claimed again while their lease runs; the rest come next.
  EXPECT_THAT(Keys(Must(ts.ClaimDue(now, "w2", kLease, 10))), ElementsAre("c"));
  EXPECT_TRUE(Must(ts.ClaimDue(now, "w2", kLease, 10)).empty());
  // The next thing to happen: the first lease running out (before "later" is due).
  EXPECT_EQ(Must(ts.NextDue()), now + kLease);

  EXPECT_THAT(Keys(Must(ts.List({.state = TimerState::kClaimed}))),
              ElementsAre("a", "b", "b2", "c"));
  EXPECT_THAT(Keys(Must(ts.List({.state = TimerState::kPending}))), ElementsAre("later"));
  EXPECT_THAT(Keys(Must(ts.List({.due_before = kT0 + seconds(20)}))), ElementsAre("a", "b", "b2"));
  EXPECT_THAT(Keys(Must(ts.List({.limit = 2}))), ElementsAre("a", "b"));
}

TEST_P(StoreConformance, TimersClaimOnlyTheKindsAWorkerHandles) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("x", kT0, "ads.resume")));
  ASSERT_OK(ts.Schedule(At("y", kT0 + seconds(1), "playbook.escalate")));
  ASSERT_OK(ts.Schedule(At("z", kT0 + seconds(2), "calendar.release")));
  const std::vector<std::string> mine = {"playbook.escalate", "calendar.release"};
  EXPECT_EQ(Must(ts.NextDue(mine)), kT0 + seconds(1));
  EXPECT_EQ(Must(ts.NextDue()), kT0);
  EXPECT_FALSE(Must(ts.NextDue(std::vector<std::string>{"nobody.handles"})).has_value());

  std::vector<Timer> got = Must(ts.ClaimDue(kT0 + minutes(1), "w1", kLease, 10, mine));
  EXPECT_THAT(Keys(got), ElementsAre("y", "z"));
  // The other kind stays pending and untouched.
  Timer x = Must(ts.Get("x"));
  EXPECT_EQ(x.state, TimerState::kPending);
  EXPECT_EQ(x.attempts, 0);
  EXPECT_EQ(Must(ts.NextDue(mine)), kT0 + minutes(1) + kLease);
  EXPECT_THAT(Keys(Must(ts.List({.kind = "ads.resume"}))), ElementsAre("x"));
}

TEST_P(StoreConformance, TimersOfADeadWorkerAreClaimedAgainAfterTheLease) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("esc", kT0)));
  Timer a = Must(ts.ClaimDue(kT0, "worker-a", kLease, 10)).at(0);

  // worker-a dies. Until its lease runs out nobody else takes the timer.
  EXPECT_TRUE(Must(ts.ClaimDue(kT0 + kLease - milliseconds(1), "worker-b", kLease, 10)).empty());
  std::vector<Timer> b = Must(ts.ClaimDue(kT0 + kLease, "worker-b", kLease, 10));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].id, a.id);
  EXPECT_EQ(b[0].claimed_by, "worker-b");
  EXPECT_EQ(b[0].attempts, 2);
  EXPECT_EQ(b[0].lease_until, kT0 + kLease + kLease);

  // worker-a comes back and reports: refused, its claim went to worker-b.
  auto late = ts.Complete(a.id, "worker-a", kT0 + kLease + seconds(1));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(late.error().message(), HasSubstr("worker-b"));
  EXPECT_EQ(ts.Fail(a.id, "worker-a", "x", kT0 + hours(1), kT0 + kLease).error().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(ts.Release(a.id, "worker-a", kT0 + kLease).error().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Must(ts.Get("esc")).claimed_by, "worker-b");

  Timer done = Must(ts.Complete(a.id, "worker-b", kT0 + kLease + seconds(2)));
  EXPECT_EQ(done.state, TimerState::kDone);
  EXPECT_FALSE(done.lease_until);
  EXPECT_EQ(done.claimed_by, "worker-b");
  EXPECT_EQ(done.updated_at, kT0 + kLease + seconds(2));
  // Completing twice is refused too: it is no longer claimed.
  EXPECT_EQ(ts.Complete(a.id, "worker-b", kT0 + hours(1)).error().code(),
            ErrorCode::kFailedPrecondition);
  EXPECT_FALSE(Must(ts.NextDue()).has_value());
}

TEST_P(StoreConformance, TimersAClaimantWhoseLeaseRanOutUnreplacedMayComplete) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("esc", kT0)));
  Timer a = Must(ts.ClaimDue(kT0, "worker-a", kLease, 10)).at(0);
  EXPECT_EQ(Must(ts.Complete(a.id, "worker-a", kT0 + hours(1))).state, TimerState::kDone);
}

TEST_P(StoreConformance, TimersFailRetriesOrFailsForGood) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("esc", kT0)));
  Timer t = Must(ts.ClaimDue(kT0, "w", kLease, 10)).at(0);

  Timer retry = Must(ts.Fail(t.id, "w", "relay refused: no channel", kT0 + minutes(1), kT0));
  EXPECT_EQ(retry.state, TimerState::kPending);
  EXPECT_EQ(retry.due, kT0 + minutes(1));
  EXPECT_EQ(retry.last_error, "relay refused: no channel");
  EXPECT_FALSE(retry.lease_until);
  EXPECT_EQ(Must(ts.NextDue()), kT0 + minutes(1));
  EXPECT_TRUE(Must(ts.ClaimDue(kT0 + seconds(59), "w", kLease, 10)).empty());

  t = Must(ts.ClaimDue(kT0 + minutes(1), "w", kLease, 10)).at(0);
  EXPECT_EQ(t.attempts, 2);
  Timer failed = Must(ts.Fail(t.id, "w", std::string(10'000, 'e'), std::nullopt, kT0 + hours(1)));
  EXPECT_EQ(failed.state, TimerState::kFailed);
  EXPECT_EQ(failed.last_error.size(), 4096u);  // cut
  EXPECT_EQ(failed.due, kT0 + minutes(1));
  EXPECT_FALSE(Must(ts.NextDue()).has_value());
  EXPECT_THAT(Keys(Must(ts.List({.state = TimerState::kFailed}))), ElementsAre("esc"));

  // A person re-arms it: attempts and the error start over.
  Timer again = Must(ts.Reschedule("esc", kT0 + hours(2), kT0 + hours(1)));
  EXPECT_EQ(again.state, TimerState::kPending);
  EXPECT_EQ(again.attempts, 0);
  EXPECT_EQ(again.last_error, "");
}

TEST_P(StoreConformance, TimersReleaseGivesAClaimBackUncounted) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("esc", kT0)));
  Timer t = Must(ts.ClaimDue(kT0, "w", kLease, 10)).at(0);
  Timer back = Must(ts.Release(t.id, "w", kT0 + seconds(1)));
  EXPECT_EQ(back.state, TimerState::kPending);
  EXPECT_EQ(back.attempts, 0);
  EXPECT_EQ(back.due, kT0);
  EXPECT_FALSE(back.lease_until);
  // Due as it was: another worker takes it at once.
  EXPECT_THAT(Keys(Must(ts.ClaimDue(kT0 + seconds(1), "w2", kLease, 10))), ElementsAre("esc"));
}

TEST_P(StoreConformance, TimersCancel) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("pending", kT0 + minutes(1))));
  ASSERT_OK(ts.Schedule(At("claimed", kT0)));
  ASSERT_OK(ts.Schedule(At("done", kT0)));
  Timer c = Must(ts.ClaimDue(kT0, "w", kLease, 1)).at(0);
  ASSERT_EQ(c.key, "claimed");
  Timer d = Must(ts.ClaimDue(kT0, "w", kLease, 1)).at(0);
  ASSERT_EQ(d.key, "done");
  ASSERT_OK(ts.Complete(d.id, "w", kT0));

  Timer p = Must(ts.Cancel("pending", kT0 + seconds(1)));
  EXPECT_EQ(p.state, TimerState::kCancelled);
  EXPECT_EQ(p.updated_at, kT0 + seconds(1));
  EXPECT_EQ(Must(ts.Cancel("pending", kT0 + seconds(2))).updated_at, kT0 + seconds(1));

  // A claimed timer is cancelled too; its worker's result is then refused.
  EXPECT_EQ(Must(ts.Cancel("claimed", kT0)).state, TimerState::kCancelled);
  EXPECT_FALSE(Must(ts.Get("claimed")).lease_until);
  EXPECT_EQ(ts.Complete(c.id, "w", kT0).error().code(), ErrorCode::kFailedPrecondition);

  auto ran = ts.Cancel("done", kT0);
  EXPECT_EQ(ran.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(ran.error().message(), HasSubstr("done"));
  EXPECT_EQ(ts.Cancel("nope", kT0).error().code(), ErrorCode::kNotFound);

  // Nothing cancelled is ever claimed or waited for.
  EXPECT_TRUE(Must(ts.ClaimDue(kT0 + hours(1), "w", kLease, 10)).empty());
  EXPECT_FALSE(Must(ts.NextDue()).has_value());
}

TEST_P(StoreConformance, TimersCancelEverythingOfAnOwner) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("inc1/esc", kT0 + minutes(5), "playbook.escalate", "inc_1")));
  ASSERT_OK(ts.Schedule(At("inc1/approval", kT0 + minutes(1), "playbook.approval", "inc_1")));
  ASSERT_OK(ts.Schedule(At("inc1/ran", kT0, "playbook.escalate", "inc_1")));
  ASSERT_OK(ts.Schedule(At("inc2/esc", kT0 + minutes(5), "playbook.escalate", "inc_2")));
  ASSERT_OK(ts.Schedule(At("none", kT0 + minutes(5))));
  Timer ran = Must(ts.ClaimDue(kT0, "w", kLease, 10)).at(0);
  ASSERT_EQ(ran.key, "inc1/ran");
  ASSERT_OK(ts.Complete(ran.id, "w", kT0));

  EXPECT_THAT(Keys(Must(ts.List({.owner = "inc_1"}))),
              ElementsAre("inc1/ran", "inc1/approval", "inc1/esc"));
  EXPECT_EQ(Must(ts.CancelOwner("inc_1", kT0 + seconds(1))), 2);
  EXPECT_THAT(Keys(Must(ts.List({.state = TimerState::kCancelled, .owner = "inc_1"}))),
              ElementsAre("inc1/approval", "inc1/esc"));
  EXPECT_EQ(Must(ts.Get("inc1/ran")).state, TimerState::kDone);  // final states stay
  EXPECT_EQ(Must(ts.Get("inc2/esc")).state, TimerState::kPending);
  EXPECT_EQ(Must(ts.Get("none")).state, TimerState::kPending);
  EXPECT_EQ(Must(ts.CancelOwner("inc_1", kT0 + seconds(2))), 0);
  EXPECT_EQ(Must(ts.CancelOwner("inc_9", kT0)), 0);
  EXPECT_THAT(Keys(Must(ts.ClaimDue(kT0 + hours(1), "w", kLease, 10))),
              ElementsAre("inc2/esc", "none"));
}

TEST_P(StoreConformance, TimersSurviveReopening) {
  ASSERT_OK(store_->Timers().Schedule(At("pending", kT0 + minutes(10), "k", "inc_1")));
  ASSERT_OK(store_->Timers().Schedule(At("claimed", kT0)));
  ASSERT_OK(store_->Timers().Schedule(At("done", kT0)));
  std::vector<Timer> claimed = Must(store_->Timers().ClaimDue(kT0, "old", kLease, 2));
  ASSERT_EQ(claimed.size(), 2u);
  ASSERT_OK(store_->Timers().Complete(claimed[1].id, "old", kT0));

  Reopen();  // a restart
  TimerStore& ts = store_->Timers();
  Timer p = Must(ts.Get("pending"));
  EXPECT_EQ(p.state, TimerState::kPending);
  EXPECT_EQ(p.due, kT0 + minutes(10));
  EXPECT_EQ(p.owner, "inc_1");
  EXPECT_EQ(p.payload_json, R"({"step":2})");
  Timer c = Must(ts.Get("claimed"));
  EXPECT_EQ(c.state, TimerState::kClaimed);
  EXPECT_EQ(c.claimed_by, "old");
  EXPECT_EQ(c.lease_until, kT0 + kLease);
  EXPECT_EQ(Must(ts.Get("done")).state, TimerState::kDone);

  // The new process takes over the dead one's claim after its lease, never the done one.
  EXPECT_EQ(Must(ts.NextDue()), kT0 + kLease);
  EXPECT_TRUE(Must(ts.ClaimDue(kT0 + seconds(1), "new", kLease, 10)).empty());
  std::vector<Timer> taken = Must(ts.ClaimDue(kT0 + kLease, "new", kLease, 10));
  EXPECT_THAT(Keys(taken), ElementsAre("claimed"));
  ASSERT_OK(ts.Complete(taken.at(0).id, "new", kT0 + kLease));
  EXPECT_THAT(Keys(Must(ts.ClaimDue(kT0 + hours(1), "new", kLease, 10))), ElementsAre("pending"));
}

TEST_P(StoreConformance, TimersManyDueAtOnceAreEachClaimedOnce) {
  TimerStore& ts = store_->Timers();
  constexpr int kCount = 300;
  for (int i = 0; i < kCount; ++i) {
    // Half at the same millisecond, half spread over the 300 ms before.
    Time due = i % 2 ? kT0 : kT0 - milliseconds(i);
    ASSERT_OK(ts.Schedule(At(fmt::format("t{:04}", i), due)));
  }
  EXPECT_EQ(Must(ts.NextDue()), kT0 - milliseconds(kCount - 2));

  // Four workers claim concurrently, in batches: every timer exactly once, each batch in order.
  std::mutex mu;
  std::multiset<std::string> seen;
  bool ordered = true;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      while (true) {
        auto got = ts.ClaimDue(kT0, fmt::format("w{}", w), kLease, 13);
        if (!got.ok() || got->empty()) return;
        std::lock_guard lock(mu);
        for (std::size_t i = 1; i < got->size(); ++i) {
          if ((*got)[i].due < (*got)[i - 1].due) ordered = false;
        }
        for (const Timer& t : *got) seen.insert(t.key);
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(seen.size(), static_cast<std::size_t>(kCount));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(),
            static_cast<std::size_t>(kCount));
  EXPECT_EQ(Must(ts.List({.state = TimerState::kClaimed, .limit = 1000})).size(),
            static_cast<std::size_t>(kCount));
}

TEST_P(StoreConformance, TimersPruneOnlyFinalOnes) {
  TimerStore& ts = store_->Timers();
  ASSERT_OK(ts.Schedule(At("done", kT0)));
  ASSERT_OK(ts.Schedule(At("cancelled", kT0 + hours(1))));
  ASSERT_OK(ts.Schedule(At("pending", kT0 + hours(1))));
  ASSERT_OK(ts.Complete(Must(ts.ClaimDue(kT0, "w", kLease, 1)).at(0).id, "w", kT0));
  ASSERT_OK(ts.Cancel("cancelled", kT0));
  EXPECT_EQ(Must(ts.PruneFinal(kT0)), 0);  // updated at kT0: not before it
  EXPECT_EQ(Must(ts.PruneFinal(kT0 + milliseconds(1))), 2);
  EXPECT_THAT(Keys(Must(ts.List({}))), ElementsAre("pending"));
  // A pruned key can be used again.
  EXPECT_TRUE(Must(ts.Schedule(At("done", kT0 + hours(2)))).created);
}

}  // namespace
}  // namespace lifeline::store
