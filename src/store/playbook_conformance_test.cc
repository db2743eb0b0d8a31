// Behaviour every Store's playbook slice must have (playbook.h's contract), as part of the
// StoreConformance suite: each dialect that instantiates the suite runs these too.
#include <gmock/gmock.h>

#include <atomic>
#include <thread>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using core::ErrorCode;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

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

NewAssignment Task(std::string key, AssignmentKind kind = AssignmentKind::kTask) {
  NewAssignment a;
  a.key = std::move(key);
  a.incident_id = "inc_1";
  a.response = "meta-outage";
  a.step_id = "task-answer";
  a.kind = kind;
  a.title = "Answer the top complaints";
  a.role = "community_manager";
  a.assignee = "ana";
  a.notified = {"ana"};
  a.escalation = "standard";
  a.created_at = kT0;
  return a;
}

std::vector<Lifecycle> States(const IncidentLifecycle& l) {
  std::vector<Lifecycle> out;
  for (const auto& t : l.transitions) out.push_back(t.to);
  return out;
}

TEST_P(StoreConformance, PlaybookLifecycleMovesWithWhoAndWhen) {
  PlaybookStore& p = store_->Playbook();
  auto [opened, created] =
      Must(p.OpenLifecycle({"inc_1", {"whatsapp"}, "lifeline", "response meta-outage", kT0}));
  EXPECT_TRUE(created);
  EXPECT_EQ(opened.state, Lifecycle::kDetected);
  EXPECT_THAT(opened.platforms, ElementsAre("whatsapp"));
  // Opening again changes nothing.
  auto again = Must(p.OpenLifecycle({"inc_1", {"other"}, "x", "", kT0 + minutes(1)}));
  EXPECT_FALSE(again.second);
  EXPECT_THAT(again.first.platforms, ElementsAre("whatsapp"));
  ASSERT_EQ(again.first.transitions.size(), 1u);

  LifecycleMove ack;
  ack.incident_id = "inc_1";
  ack.from = {Lifecycle::kDetected};
  ack.to = Lifecycle::kAcknowledged;
  ack.by = "ana";
  ack.note = "acknowledged the team alert";
  ack.at = kT0 + minutes(3);
  auto l = Must(p.MoveLifecycle(ack));
  EXPECT_EQ(l.state, Lifecycle::kAcknowledged);
  ASSERT_EQ(l.transitions.size(), 2u);
  EXPECT_EQ(l.transitions[1].seq, 2);
  EXPECT_EQ(l.transitions[1].from, Lifecycle::kDetected);
  EXPECT_EQ(l.transitions[1].by, "ana");
  EXPECT_EQ(l.transitions[1].at, kT0 + minutes(3));
  EXPECT_EQ(l.transitions[0].from, std::nullopt);

  // Compare-and-set: acknowledging again is refused and names who did it first.
  auto twice = p.MoveLifecycle(ack);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(twice.error().message(), HasSubstr("acknowledged (by ana"));

  LifecycleMove mon{"inc_1", {}, Lifecycle::kMonitoring, "lifeline", "closed", "", kT0 + hours(1)};
  EXPECT_EQ(Must(p.MoveLifecycle(mon)).monitor_round, 1);
  LifecycleMove relapse{"inc_1",       {Lifecycle::kMonitoring}, Lifecycle::kMitigating,
                        "lifeline",    "failed again",           "inc_2",
                        kT0 + hours(2)};
  auto r = Must(p.MoveLifecycle(relapse));
  EXPECT_EQ(r.relapse_incident, "inc_2");
  mon.at = kT0 + hours(3);
  r = Must(p.MoveLifecycle(mon));
  EXPECT_EQ(r.monitor_round, 2);
  EXPECT_EQ(r.relapse_incident, "");
  EXPECT_THAT(States(r),
              ElementsAre(Lifecycle::kDetected, Lifecycle::kAcknowledged, Lifecycle::kMonitoring,
                          Lifecycle::kMitigating, Lifecycle::kMonitoring));

  auto listed = Must(p.ListLifecycles(Lifecycle::kMonitoring, 10));
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].incident_id, "inc_1");
  EXPECT_TRUE(Must(p.ListLifecycles(Lifecycle::kResolved, 10)).empty());

  auto missing = p.GetLifecycle("inc_nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  auto bad = p.MoveLifecycle({"inc_nope", {}, Lifecycle::kResolved, "x", "", "", kT0});
  EXPECT_EQ(bad.error().code(), ErrorCode::kNotFound);

  // A restart keeps everything.
  Reopen();
  auto after = Must(store_->Playbook().GetLifecycle("inc_1"));
  EXPECT_EQ(after.transitions.size(), 5u);
  EXPECT_EQ(after.state, Lifecycle::kMonitoring);
}

TEST_P(StoreConformance, PlaybookRunsStartOnceAndEndOnce) {
  PlaybookStore& p = store_->Playbook();
  auto a = Must(p.StartRun("inc_1", "meta-outage", kT0));
  EXPECT_TRUE(a.created);
  EXPECT_EQ(a.run.state, RunState::kRunning);
  auto b = Must(p.StartRun("inc_1", "meta-outage", kT0 + minutes(5)));
  EXPECT_FALSE(b.created);
  EXPECT_EQ(b.run.started_at, kT0);
  ASSERT_OK(p.StartRun("inc_1", "whatsapp-outage", kT0));
  ASSERT_OK(p.StartRun("inc_2", "meta-outage", kT0));

  auto ended = Must(p.EndRun("inc_1", "meta-outage", RunState::kStopped, "approval refused by dee",
                             kT0 + minutes(9)));
  EXPECT_EQ(ended.state, RunState::kStopped);
  EXPECT_EQ(ended.ended_at, kT0 + minutes(9));
  auto again = p.EndRun("inc_1", "meta-outage", RunState::kFinished, "", kT0 + minutes(10));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(again.error().message(), HasSubstr("approval refused by dee"));

  auto running = Must(p.ListRuns({"", RunState::kRunning, 100}));
  ASSERT_EQ(running.size(), 2u);
  EXPECT_EQ(running[0].response, "whatsapp-outage");
  EXPECT_EQ(running[1].incident_id, "inc_2");
  EXPECT_EQ(Must(p.ListRuns({"inc_1", std::nullopt, 100})).size(), 2u);
  EXPECT_EQ(p.GetRun("inc_9", "x").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(p.ListRuns({"", std::nullopt, 0}).error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, PlaybookStepsAreRecordedInOrderAndReplaced) {
  PlaybookStore& p = store_->Playbook();
  StepRecord s{
      "inc_1", "meta-outage", "notify-team", StepState::kRunning, 1, "", "", kT0, std::nullopt,
      kT0};
  ASSERT_OK(p.PutStep(s));
  StepRecord post{"inc_1",
                  "meta-outage",
                  "post-holding",
                  StepState::kWaiting,
                  2,
                  "no contact point can take the text",
                  "retry in 30 s",
                  kT0,
                  std::nullopt,
                  kT0 + seconds(1)};
  ASSERT_OK(p.PutStep(post));
  s.state = StepState::kDone;
  s.note = "sent to ana, cy";
  s.ended_at = kT0 + seconds(2);
  s.updated_at = kT0 + seconds(2);
  ASSERT_OK(p.PutStep(s));

  auto got = Must(p.GetStep("inc_1", "meta-outage", "notify-team"));
  EXPECT_EQ(got.state, StepState::kDone);
  EXPECT_EQ(got.note, "sent to ana, cy");
  EXPECT_EQ(got.ended_at, kT0 + seconds(2));
  auto all = Must(p.ListSteps("inc_1"));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].step_id, "notify-team");  // first recorded first, although replaced later
  EXPECT_EQ(all[1].attempts, 2);
  EXPECT_EQ(all[1].last_error, "no contact point can take the text");
  EXPECT_EQ(p.GetStep("inc_1", "meta-outage", "wait-60s").error().code(), ErrorCode::kNotFound);
  s.step_id = "";
  EXPECT_EQ(p.PutStep(s).error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, PlaybookAssignmentsAreCreatedOnceAndMoveByTheirKind) {
  PlaybookStore& p = store_->Playbook();
  auto c = Must(p.CreateAssignment(Task("inc_1/meta-outage/task-answer")));
  EXPECT_TRUE(c.created);
  EXPECT_THAT(c.assignment.id, ::testing::StartsWith("asg_"));
  EXPECT_EQ(c.assignment.state, AssignmentState::kOpen);
  EXPECT_EQ(c.assignment.escalation_level, -1);
  auto dup = Must(p.CreateAssignment(Task("inc_1/meta-outage/task-answer")));
  EXPECT_FALSE(dup.created);
  EXPECT_EQ(dup.assignment.id, c.assignment.id);
  const std::string id = c.assignment.id;

  // Escalation only moves forward and records who was told, each once.
  std::vector<std::string> told = {"cy"};
  auto e = Must(p.RecordEscalation(id, 0, told, kT0 + minutes(10)));
  EXPECT_EQ(e.escalation_level, 0);
  EXPECT_THAT(e.notified, ElementsAre("ana", "cy"));
  std::vector<std::string> told2 = {"dee", "cy"};
  e = Must(p.RecordEscalation(id, 1, told2, kT0 + minutes(20)));
  EXPECT_THAT(e.notified, ElementsAre("ana", "cy", "dee"));
  e = Must(p.RecordEscalation(id, 1, told, kT0 + minutes(21)));
  EXPECT_EQ(e.escalation_level, 1);
  EXPECT_EQ(e.updated_at, kT0 + minutes(20));

  auto ack =
      Must(p.MoveAssignment({id, AssignmentState::kAcknowledged, "cy", "", kT0 + minutes(25)}));
  EXPECT_EQ(ack.acknowledged_by, "cy");
  EXPECT_EQ(ack.acknowledged_at, kT0 + minutes(25));
  auto again = p.MoveAssignment({id, AssignmentState::kAcknowledged, "ana", "", kT0 + minutes(26)});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(again.error().message(), HasSubstr("already acknowledged (by cy at"));
  auto done = Must(p.MoveAssignment({id, AssignmentState::kDone, "ana", "", kT0 + minutes(40)}));
  EXPECT_EQ(done.state, AssignmentState::kDone);
  EXPECT_EQ(done.acknowledged_by, "cy");
  EXPECT_EQ(done.ended_by, "ana");
  EXPECT_EQ(done.ended_at, kT0 + minutes(40));

  // A task done straight away counts as acknowledged by the same person.
  auto t2 = Must(p.CreateAssignment(Task("inc_1/meta-outage/task-2")));
  auto d2 = Must(
      p.MoveAssignment({t2.assignment.id, AssignmentState::kDone, "bo", "", kT0 + minutes(5)}));
  EXPECT_EQ(d2.acknowledged_by, "bo");

  // Approvals are approved, refused or expired, once; never acknowledged.
  auto ap = Must(p.CreateAssignment(Task("inc_1/meta-outage/approve", AssignmentKind::kApproval)));
  EXPECT_EQ(p.MoveAssignment({ap.assignment.id, AssignmentState::kAcknowledged, "dee", "", kT0})
                .error()
                .code(),
            ErrorCode::kFailedPrecondition);
  auto refused = Must(p.MoveAssignment(
      {ap.assignment.id, AssignmentState::kRefused, "dee", "budget frozen", kT0 + minutes(2)}));
  EXPECT_EQ(refused.note, "budget frozen");
  EXPECT_EQ(refused.ended_by, "dee");
  auto late = p.MoveAssignment(
      {ap.assignment.id, AssignmentState::kExpired, "lifeline", "", kT0 + minutes(15)});
  EXPECT_THAT(late.error().message(), HasSubstr("already refused (by dee"));

  // Notifications: acknowledged is final.
  auto n = Must(p.CreateAssignment(Task("inc_2/x/notify", AssignmentKind::kNotification)));
  ASSERT_OK(p.MoveAssignment({n.assignment.id, AssignmentState::kAcknowledged, "cy", "", kT0}));
  EXPECT_FALSE(p.MoveAssignment({n.assignment.id, AssignmentState::kDone, "cy", "", kT0}).ok());

  auto open = Must(p.ListAssignments({"inc_1", AssignmentState::kDone, std::nullopt, 100}));
  EXPECT_EQ(open.size(), 2u);
  auto approvals = Must(p.ListAssignments({"", std::nullopt, AssignmentKind::kApproval, 100}));
  ASSERT_EQ(approvals.size(), 1u);
  EXPECT_EQ(Must(p.GetAssignmentByKey("inc_2/x/notify")).id, n.assignment.id);
  EXPECT_EQ(p.GetAssignment("asg_nope").error().code(), ErrorCode::kNotFound);
  NewAssignment bad = Task("k");
  bad.title = "";
  EXPECT_EQ(p.CreateAssignment(bad).error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, PlaybookLinkTokensAreUsedOnceBeforeTheyExpire) {
  PlaybookStore& p = store_->Playbook();
  LinkToken t;
  t.hash = std::string(64, 'a');
  t.purpose = "acknowledge";
  t.assignment_id = "asg_1";
  t.person = "ana";
  t.signature = "sig";
  t.created_at = kT0;
  t.expires_at = kT0 + hours(24);
  ASSERT_OK(p.AddLinkToken(t));
  EXPECT_EQ(p.AddLinkToken(t).error().code(), ErrorCode::kAlreadyExists);

  auto used = Must(p.UseLinkToken(t.hash, kT0 + minutes(5)));
  EXPECT_EQ(used.used_at, kT0 + minutes(5));
  EXPECT_EQ(used.assignment_id, "asg_1");
  auto reused = p.UseLinkToken(t.hash, kT0 + minutes(6));
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code(), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(reused.error().message(), HasSubstr("already used at 2026-11-27T10:05:00"));

  LinkToken old = t;
  old.hash = std::string(64, 'b');
  ASSERT_OK(p.AddLinkToken(old));
  auto expired = p.UseLinkToken(old.hash, kT0 + hours(24));
  ASSERT_FALSE(expired.ok());
  EXPECT_THAT(expired.error().message(), HasSubstr("expired at"));
  EXPECT_FALSE(Must(p.GetLinkToken(old.hash)).used_at.has_value());

  EXPECT_EQ(p.UseLinkToken(std::string(64, 'c'), kT0).error().code(), ErrorCode::kNotFound);
  LinkToken bad = t;
  bad.hash = "short";
  EXPECT_EQ(p.AddLinkToken(bad).error().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreConformance, PlaybookLinkTokenIsUsedByOneOfManyConcurrentRedeems) {
  PlaybookStore& p = store_->Playbook();
  LinkToken t;
  t.hash = std::string(64, 'd');
  t.purpose = "approve";
  t.assignment_id = "asg_2";
  t.signature = "sig";
  t.created_at = kT0;
  t.expires_at = kT0 + hours(1);
  ASSERT_OK(p.AddLinkToken(t));
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (p.UseLinkToken(t.hash, kT0 + minutes(1)).ok()) ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 1);
}

}  // namespace
}  // namespace lifeline::store
