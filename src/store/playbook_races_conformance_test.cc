// Races every Store's playbook slice must win (playbook.h's contract), as part of the
// StoreConformance suite: callers acting on one lifecycle, run or assignment at once — several
// threads here, several instances on one PostgreSQL database in production — see one move succeed
// and the others refused by the state it left.
#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using core::ErrorCode;
using std::chrono::minutes;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z
constexpr int kRacers = 8;

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

// Runs fn(i) on kRacers threads released together; counts the calls that succeeded, and fails
// the test for any error other than kFailedPrecondition (the refusal of a lost race).
template <typename F>
int Race(F fn) {
  std::atomic<bool> go{false};
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      core::Status s = fn(i);
      if (s.ok()) {
        ++won;
      } else if (s.error().code() != ErrorCode::kFailedPrecondition) {
        ADD_FAILURE() << s.error().ToString();
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  return won.load();
}

TEST_P(StoreConformance, PlaybookRacesOneLifecycleMoveWinsAndIsRecordedOnce) {
  PlaybookStore& p = store_->Playbook();
  for (int round = 0; round < 3; ++round) {
    const std::string incident = "inc_" + std::to_string(round);
    Must(p.OpenLifecycle({incident, {"whatsapp"}, "lifeline", "", kT0}));
    int won = Race([&](int i) -> core::Status {
      LifecycleMove ack{incident,
                        {Lifecycle::kDetected},
                        Lifecycle::kAcknowledged,
                        "person-" + std::to_string(i),
                        "",
                        "",
                        kT0 + minutes(1)};
      auto r = p.MoveLifecycle(ack);
      if (!r.ok()) return r.error();
      return core::Ok();
    });
    EXPECT_EQ(won, 1) << "round " << round;
    auto l = Must(p.GetLifecycle(incident));
    EXPECT_EQ(l.state, Lifecycle::kAcknowledged);
    ASSERT_EQ(l.transitions.size(), 2u) << "round " << round;
    EXPECT_EQ(l.transitions[1].seq, 2);
  }
}

TEST_P(StoreConformance, PlaybookRacesOneAssignmentMoveWins) {
  PlaybookStore& p = store_->Playbook();
  for (int round = 0; round < 3; ++round) {
    NewAssignment a;
    a.key = "inc_1/meta-outage/approve-" + std::to_string(round);
    a.incident_id = "inc_1";
    a.step_id = "approve";
    a.kind = AssignmentKind::kApproval;
    a.title = "Pause the campaigns?";
    a.created_at = kT0;
    const std::string id = Must(p.CreateAssignment(a)).assignment.id;
    // Half approve, half refuse: exactly one decision stands, with its own who.
    std::vector<std::string> winners(kRacers);
    int won = Race([&](int i) -> core::Status {
      AssignmentState to = i % 2 == 0 ? AssignmentState::kApproved : AssignmentState::kRefused;
      auto r = p.MoveAssignment({id, to, "person-" + std::to_string(i), "", kT0 + minutes(1)});
      if (!r.ok()) return r.error();
      winners[static_cast<std::size_t>(i)] = std::string(AssignmentStateName(r->state));
      return core::Ok();
    });
    EXPECT_EQ(won, 1) << "round " << round;
    auto got = Must(p.GetAssignment(id));
    const int by = std::stoi(got.ended_by.substr(std::string("person-").size()));
    EXPECT_EQ(winners[static_cast<std::size_t>(by)], AssignmentStateName(got.state))
        << "the stored decision is the winner's";
  }
}

TEST_P(StoreConformance, PlaybookRacesEscalationsKeepEveryoneTold) {
  PlaybookStore& p = store_->Playbook();
  NewAssignment a;
  a.key = "inc_1/meta-outage/notify";
  a.incident_id = "inc_1";
  a.step_id = "notify";
  a.kind = AssignmentKind::kNotification;
  a.title = "WhatsApp is down";
  a.notified = {"ana"};
  a.created_at = kT0;
  const std::string id = Must(p.CreateAssignment(a)).assignment.id;
  // Levels 0..7 recorded at once, each telling its own person. A level that was applied (its
  // call came back at its level) keeps its person in the list whatever ran after it; one that
  // found a higher level stored changed nothing.
  std::vector<int> applied(kRacers, 0);
  Race([&](int i) -> core::Status {
    std::vector<std::string> told = {"p" + std::to_string(i)};
    auto r = p.RecordEscalation(id, i, told, kT0 + minutes(i));
    if (!r.ok()) return r.error();
    applied[static_cast<std::size_t>(i)] = r->escalation_level == i ? 1 : 0;
    return core::Ok();
  });
  auto got = Must(p.GetAssignment(id));
  EXPECT_EQ(got.escalation_level, kRacers - 1);
  ASSERT_FALSE(got.notified.empty());
  EXPECT_EQ(got.notified[0], "ana");
  std::size_t told = 1;
  for (int i = 0; i < kRacers; ++i) {
    if (!applied[static_cast<std::size_t>(i)]) continue;
    ++told;
    EXPECT_THAT(got.notified, ::testing::Contains("p" + std::to_string(i)))
        << "level " << i << " was recorded";
  }
  EXPECT_EQ(got.notified.size(), told) << "only the people of applied levels, each once";
}

}  // namespace
}  // namespace lifeline::store
