// The timer scheduler against a real SQLite store in a temp dir and a fake clock: nothing sleeps;
// tests wait (in real time, bounded) for what the scheduler's thread reports.
#include "timers/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "store/store.h"

namespace lifeline::timers {
namespace {

using core::ErrorCode;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using store::TimerState;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const TimePoint kT0 = TimePoint(store::FromMillis(1'795'773'600'000));  // 2026-11-27T10:00:00Z
constexpr auto kWait = seconds(20);  // real-time bound on waiting for the scheduler's thread

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

store::Time ST(TimePoint t) { return store::FromSystem(t); }

// What the scheduler did, recorded from its thread; tests wait on it instead of sleeping.
class Recorder {
 public:
  // A handler that records the key and the clock's time, and answers `result`.
  Handler Handle(core::Clock& clock, core::Status result = core::Ok()) {
    return [this, &clock, result](const store::Timer& t) {
      std::lock_guard lock(mu_);
      calls_.push_back({t.key, clock.Now(), t.attempts});
      cv_.notify_all();
      return result;
    };
  }
  void Observe(Scheduler& s) {
    s.SetObserver([this](const Firing& f) {
      std::lock_guard lock(mu_);
      firings_.push_back(f);
      cv_.notify_all();
    });
  }
  void Log(std::string_view line) {
    std::lock_guard lock(mu_);
    logs_.emplace_back(line);
    cv_.notify_all();
  }

  // Waits until `n` outcomes were stored (or refused).
  bool WaitFirings(std::size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return firings_.size() >= n; });
  }
  bool WaitLog(const std::string& part) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] {
      for (const auto& l : logs_) {
        if (l.find(part) != std::string::npos) return true;
      }
      return false;
    });
  }

  struct Call {
    std::string key;
    TimePoint at;
    int attempt;
  };
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> keys() {
    std::vector<std::string> out;
    for (const Call& c : calls()) out.push_back(c.key);
    return out;
  }
  std::vector<Firing> firings() {
    std::lock_guard lock(mu_);
    return firings_;
  }

 private:
  std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::vector<Call> calls_;
  std::vector<Firing> firings_;
  std::vector<std::string> logs_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore(); }

  void OpenStore() {
    store_.reset();
    auto s = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }

  SchedulerOptions Options() {
    SchedulerOptions o;
    o.clock = &clock_;
    o.worker_id = "test-worker";
    o.lease = seconds(60);
    o.poll = hours(24);  // tests see the wake-ups the store's times cause, not polls
    o.log = [this](std::string_view line) { rec_.Log(line); };
    return o;
  }

  std::unique_ptr<Scheduler> Make(SchedulerOptions o) {
    auto s = std::make_unique<Scheduler>(&store_->Timers(), std::move(o));
    rec_.Observe(*s);
    return s;
  }

  store::NewTimer At(std::string key, TimePoint due, std::string kind = "test.kind",
                     std::string owner = "") {
    store::NewTimer t;
    t.key = std::move(key);
    t.kind = std::move(kind);
    t.due = ST(due);
    t.owner = std::move(owner);
    t.created_at = ST(kT0);
    return t;
  }

  lifeline::testing::TempDir dir_{"timers-test"};
  core::FakeClock clock_{kT0};
  std::unique_ptr<store::Store> store_;
  Recorder rec_;
};

TEST_F(SchedulerTest, FiresInDueOrderAndRecordsLateness) {
  auto s = Make(Options());
  ASSERT_OK(s->On("test.kind", rec_.Handle(clock_)));
  ASSERT_OK(s->Schedule(At("c", kT0 + seconds(30))));
  ASSERT_OK(s->Schedule(At("a", kT0 + seconds(10))));
  ASSERT_OK(s->Schedule(At("b", kT0 + seconds(20))));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + seconds(10), kWait));
  EXPECT_TRUE(rec_.calls().empty());

  // Fires a alone at its time, then b and c together when the clock jumps past both.
  clock_.Advance(seconds(10));
  ASSERT_TRUE(rec_.WaitFirings(1));
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + seconds(20), kWait));
  clock_.Advance(seconds(25));
  ASSERT_TRUE(rec_.WaitFirings(3));
  EXPECT_THAT(rec_.keys(), ElementsAre("a", "b", "c"));
  for (const Firing& f : rec_.firings()) {
    ASSERT_TRUE(f.stored);
    EXPECT_EQ(f.stored->state, TimerState::kDone);
  }
  EXPECT_EQ(Must(store_->Timers().Get("c")).state, TimerState::kDone);

  // a ran on time; b was 15 s late, c 5 s.
  Lateness::Snapshot late = s->lateness().Get();
  EXPECT_EQ(late.count, 3u);
  EXPECT_EQ(late.max, seconds(15));
  EXPECT_EQ(late.sum, seconds(20));
  ASSERT_EQ(late.recent.size(), 3u);
  EXPECT_EQ(late.recent[1].key, "b");
  EXPECT_EQ(late.recent[1].lateness, seconds(15));
  EXPECT_EQ(late.buckets[0], 1u);  // <= 10 ms: a
  EXPECT_EQ(late.buckets[4], 2u);  // <= 5 s: a, c
  EXPECT_EQ(late.buckets[5], 3u);  // <= 15 s: all
  EXPECT_EQ(rec_.firings()[1].lateness, seconds(15));

  SchedulerStats st = s->Stats();
  EXPECT_EQ(st.fired, 3u);
  EXPECT_EQ(st.completed, 3u);
  // Nothing left: it sleeps for the poll interval.
  EXPECT_TRUE(s->WaitSleepingUntil(kT0 + seconds(35) + hours(24), kWait));
}

TEST_F(SchedulerTest, AnEarlierTimerWakesTheSleepingThread) {
  auto s = Make(Options());
  ASSERT_OK(s->On("test.kind", rec_.Handle(clock_)));
  ASSERT_OK(s->Schedule(At("later", kT0 + hours(1))));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + hours(1), kWait));

  // No clock movement: the new timer alone makes the thread look again and sleep less.
  ASSERT_OK(s->Schedule(At("sooner", kT0 + minutes(1))));
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + minutes(1), kWait));

  clock_.Advance(minutes(1));
  ASSERT_TRUE(rec_.WaitFirings(1));
  EXPECT_THAT(rec_.keys(), ElementsAre("sooner"));
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + hours(1), kWait));

  // A later timer does not shorten the sleep; Reschedule to earlier does.
  ASSERT_OK(s->Schedule(At("much-later", kT0 + hours(5))));
  ASSERT_OK(s->Reschedule("much-later", ST(kT0 + minutes(2))));
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + minutes(2), kWait));
}

TEST_F(SchedulerTest, ARestartRunsWhatTheDeadProcessHadClaimedAndNothingItCompleted) {
  {
    auto first = Make(Options());
    ASSERT_OK(first->On("test.kind", rec_.Handle(clock_)));
    ASSERT_OK(first->Schedule(At("done-before", kT0)));
    ASSERT_OK(first->Schedule(At("in-flight", kT0 + minutes(1))));
    ASSERT_OK(first->Schedule(At("pending", kT0 + minutes(3))));
    ASSERT_OK(first->Start());
    ASSERT_TRUE(rec_.WaitFirings(1));
    ASSERT_TRUE(first->WaitSleepingUntil(kT0 + minutes(1), kWait));
    first->Stop();
  }
  // The process that comes next claims "in-flight", starts its handler and dies (kill -9): its
  // claim stays in the database.
  clock_.Advance(minutes(1));
  auto crashed = Must(store_->Timers().ClaimDue(ST(clock_.Now()), "dead-worker", seconds(60), 10));
  ASSERT_EQ(crashed.size(), 1u);
  ASSERT_EQ(crashed[0].key, "in-flight");
  OpenStore();  // a restart: the database is opened again

  SchedulerOptions o = Options();
  o.worker_id = "new-worker";
  auto second = Make(o);
  ASSERT_OK(second->On("test.kind", rec_.Handle(clock_)));
  ASSERT_OK(second->Start());
  // It waits for the dead worker's lease, not less.
  ASSERT_TRUE(second->WaitSleepingUntil(kT0 + minutes(2), kWait));
  EXPECT_THAT(rec_.keys(), ElementsAre("done-before"));

  clock_.Advance(minutes(1));
  ASSERT_TRUE(rec_.WaitFirings(2));
  ASSERT_TRUE(second->WaitSleepingUntil(kT0 + minutes(3), kWait));
  clock_.Advance(minutes(1));
  ASSERT_TRUE(rec_.WaitFirings(3));
  second->Stop();

  // Each ran once here, the completed one never again.
  EXPECT_THAT(rec_.keys(), ElementsAre("done-before", "in-flight", "pending"));
  store::Timer t = Must(store_->Timers().Get("in-flight"));
  EXPECT_EQ(t.state, TimerState::kDone);
  EXPECT_EQ(t.claimed_by, "new-worker");
  EXPECT_EQ(t.attempts, 2);
  EXPECT_EQ(rec_.calls()[1].at, kT0 + minutes(2));
  EXPECT_EQ(rec_.firings()[1].lateness, minutes(1));
}

TEST_F(SchedulerTest, AFailingHandlerRetriesWithBackoffThenStaysFailed) {
  SchedulerOptions o = Options();
  o.max_attempts = 3;
  o.backoff_base = seconds(10);
  auto s = Make(o);
  ASSERT_OK(s->On("test.kind",
                  rec_.Handle(clock_, core::MakeError(ErrorCode::kUnavailable, "relay refused"))));
  ASSERT_OK(s->Schedule(At("esc", kT0)));
  ASSERT_OK(s->Start());

  ASSERT_TRUE(rec_.WaitFirings(1));
  store::Timer t = Must(store_->Timers().Get("esc"));
  EXPECT_EQ(t.state, TimerState::kPending);
  EXPECT_EQ(t.due, ST(kT0 + seconds(10)));
  EXPECT_EQ(t.last_error, "unavailable: relay refused");
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + seconds(10), kWait));

  clock_.Advance(seconds(10));
  ASSERT_TRUE(rec_.WaitFirings(2));
  EXPECT_EQ(Must(store_->Timers().Get("esc")).due, ST(kT0 + seconds(30)));  // 2 x 10 s later
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + seconds(30), kWait));

  clock_.Advance(seconds(20));
  ASSERT_TRUE(rec_.WaitFirings(3));
  t = Must(store_->Timers().Get("esc"));
  EXPECT_EQ(t.state, TimerState::kFailed);
  EXPECT_EQ(t.attempts, 3);
  EXPECT_EQ(t.last_error, "unavailable: relay refused");
  EXPECT_TRUE(rec_.WaitLog("failed for good after 3 attempts"));

  // Nothing more happens to it.
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + seconds(30) + hours(24), kWait));
  std::vector<Recorder::Call> calls = rec_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].at, kT0);
  EXPECT_EQ(calls[1].at, kT0 + seconds(10));
  EXPECT_EQ(calls[2].at, kT0 + seconds(30));
  EXPECT_EQ(calls[2].attempt, 3);
  SchedulerStats st = s->Stats();
  EXPECT_EQ(st.retried, 2u);
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(Must(store_->Timers().List({.state = TimerState::kFailed})).size(), 1u);
}

TEST_F(SchedulerTest, AThrowingHandlerCountsAsAFailure) {
  SchedulerOptions o = Options();
  o.max_attempts = 1;
  auto s = Make(o);
  ASSERT_OK(s->On("test.kind",
                  [](const store::Timer&) -> core::Status { throw std::runtime_error("boom"); }));
  ASSERT_OK(s->Schedule(At("esc", kT0)));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(rec_.WaitFirings(1));
  store::Timer t = Must(store_->Timers().Get("esc"));
  EXPECT_EQ(t.state, TimerState::kFailed);
  EXPECT_THAT(t.last_error, HasSubstr("boom"));
}

TEST_F(SchedulerTest, AnUnknownKindStaysPendingAndIsLogged) {
  auto s = Make(Options());
  ASSERT_OK(s->On("test.kind", rec_.Handle(clock_)));
  ASSERT_OK(s->Schedule(At("mystery", kT0, "calendar.release")));
  ASSERT_OK(s->Schedule(At("known", kT0)));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(rec_.WaitFirings(1));
  EXPECT_TRUE(rec_.WaitLog("no handler for kind calendar.release here: timer mystery"));
  // Untouched, and not waited for in a loop: the thread sleeps.
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + hours(24), kWait));
  store::Timer m = Must(store_->Timers().Get("mystery"));
  EXPECT_EQ(m.state, TimerState::kPending);
  EXPECT_EQ(m.attempts, 0);
  EXPECT_EQ(s->Stats().unhandled, 1u);
  EXPECT_THAT(rec_.keys(), ElementsAre("known"));

  // Not lost: a handler for the kind (here, or in another instance) runs it.
  ASSERT_OK(s->On("calendar.release", rec_.Handle(clock_)));
  ASSERT_TRUE(rec_.WaitFirings(2));
  EXPECT_THAT(rec_.keys(), ElementsAre("known", "mystery"));
  EXPECT_EQ(Must(store_->Timers().Get("mystery")).state, TimerState::kDone);
  EXPECT_EQ(s->On("calendar.release", rec_.Handle(clock_)).error().code(),
            ErrorCode::kAlreadyExists);
}

TEST_F(SchedulerTest, StopIsPrompt) {
  auto s = Make(Options());
  ASSERT_OK(s->On("test.kind", rec_.Handle(clock_)));
  ASSERT_OK(s->Schedule(At("tomorrow", kT0 + hours(20))));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + hours(20), kWait));
  auto start = std::chrono::steady_clock::now();
  s->Stop();
  // The fake clock's waits end after 5 s of real time at the latest: well under that.
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
  EXPECT_FALSE(s->SleepingUntil());
  s->Stop();  // idempotent
  EXPECT_EQ(s->Start().error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Must(store_->Timers().Get("tomorrow")).state, TimerState::kPending);
}

TEST_F(SchedulerTest, StopGivesBackTheClaimedTimersItDidNotRun) {
  auto s = Make(Options());
  std::atomic<int> runs{0};
  ASSERT_OK(s->On("test.kind", [&](const store::Timer&) {
    ++runs;
    s->Stop();  // from a handler: asks, the thread stops after this handler
    return core::Ok();
  }));
  ASSERT_OK(s->Schedule(At("t1", kT0)));
  ASSERT_OK(s->Schedule(At("t2", kT0)));
  ASSERT_OK(s->Schedule(At("t3", kT0)));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(rec_.WaitFirings(1));
  s->Stop();  // joins
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(Must(store_->Timers().Get("t1")).state, TimerState::kDone);
  for (const char* key : {"t2", "t3"}) {
    store::Timer t = Must(store_->Timers().Get(key));
    EXPECT_EQ(t.state, TimerState::kPending) << key;
    EXPECT_EQ(t.attempts, 0) << key;
  }
  EXPECT_EQ(s->Stats().released, 2u);
}

TEST_F(SchedulerTest, ACancelledTimerDoesNotFireAndALostOutcomeIsCounted) {
  auto s = Make(Options());
  // The handler of "first" cancels "second" (due at the same time, claimed in the same batch)
  // and every timer of its incident, including itself.
  ASSERT_OK(s->On("test.kind", [&](const store::Timer& t) {
    if (t.key == "first") {
      EXPECT_EQ(Must(s->CancelOwner("inc_1")), 2);
    }
    return core::Ok();
  }));
  ASSERT_OK(s->Schedule(At("first", kT0, "test.kind", "inc_1")));
  ASSERT_OK(s->Schedule(At("second", kT0, "test.kind", "inc_1")));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(rec_.WaitFirings(1));
  ASSERT_TRUE(s->WaitSleepingUntil(kT0 + hours(24), kWait));  // done with the batch
  std::vector<Firing> f = rec_.firings();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_FALSE(f[0].stored);  // its own Complete was refused: cancelled meanwhile
  EXPECT_EQ(s->Stats().lost, 1u);
  EXPECT_EQ(s->Stats().skipped, 1u);
  EXPECT_EQ(Must(store_->Timers().Get("second")).state, TimerState::kCancelled);
  EXPECT_EQ(Must(store_->Timers().Get("first")).state, TimerState::kCancelled);
}

TEST_F(SchedulerTest, LargeBatchesAreClaimedUntilNothingIsDue) {
  SchedulerOptions o = Options();
  o.batch = 4;
  auto s = Make(o);
  ASSERT_OK(s->On("test.kind", rec_.Handle(clock_)));
  for (int i = 0; i < 10; ++i) {
    ASSERT_OK(s->Schedule(At(fmt::format("t{}", i), kT0 - milliseconds(10 - i))));
  }
  ASSERT_OK(s->Start());
  ASSERT_TRUE(rec_.WaitFirings(10));
  EXPECT_THAT(rec_.keys(), ElementsAre("t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"));
}

TEST_F(SchedulerTest, ASlowHandlerHandsTheRestOfItsBatchBackForFreshLeases) {
  auto s = Make(Options());  // 60 s lease
  ASSERT_OK(s->On("test.kind", [&](const store::Timer& t) {
    if (t.key == "slow") clock_.Advance(seconds(40));  // past half of the batch's lease
    return core::Ok();
  }));
  ASSERT_OK(s->Schedule(At("slow", kT0)));
  ASSERT_OK(s->Schedule(At("next", kT0)));
  ASSERT_OK(s->Start());
  ASSERT_TRUE(rec_.WaitFirings(2));
  std::vector<Firing> f = rec_.firings();
  EXPECT_EQ(f[1].timer.key, "next");
  EXPECT_EQ(f[1].timer.attempts, 1);  // the give-back did not count
  EXPECT_EQ(f[1].timer.lease_until, ST(kT0 + seconds(40) + seconds(60)));
  EXPECT_EQ(s->Stats().released, 1u);
}

TEST_F(SchedulerTest, RegistrationErrors) {
  auto s = Make(Options());
  EXPECT_EQ(s->On("", rec_.Handle(clock_)).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s->On("x", nullptr).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s->worker_id(), "test-worker");
  SchedulerOptions o = Options();
  o.worker_id.clear();
  Scheduler other(&store_->Timers(), o);
  EXPECT_THAT(other.worker_id(), HasSubstr("/"));
  EXPECT_NE(other.worker_id(), Scheduler(&store_->Timers(), o).worker_id());
}

}  // namespace
}  // namespace lifeline::timers
