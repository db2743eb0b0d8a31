// The playbook engine with a fake clock, the real SQLite store in a temporary folder and a fake
// relay sink that records what would be sent (rendered by the real router, on channels that
// never send): ordering, parallel groups, triggers, approvals and escalation, working hours,
// on_error, a restart in the middle of an escalation, restoration and links. Each test asserts
// what a person would notice: who got which message when, what the timeline and console say.
#include "playbook/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "channels/outbox.h"
#include "channels/router.h"
#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "playbook/routes.h"
#include "playbook/test_util.h"

namespace lifeline::playbook {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Friday 27 November 2026, 10:00 UTC (10:00 in Lisbon too: winter time).
const TimePoint kT0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27} + 10h;

// What the relay would have been asked to send.
struct Sent {
  std::string to;       // the contact, or "" for a post
  std::string channel;  // where the router put it
  std::string text;
  std::string key;
  TimePoint at;
};

// Records instead of sending. Renders exactly as the relay would (the real router plans each
// message), keeps the first message per idempotency key as the outbox does, and fails on demand.
class FakeMessenger final : public Messenger {
 public:
  explicit FakeMessenger(core::Clock* clock) : clock_(clock) {}
  void SetRouter(const channels::Router* router) {
    std::lock_guard lock(mu_);
    router_ = router;
  }

  core::Result<SentMessage> Send(const OutgoingMessage& m) override {
    std::lock_guard lock(mu_);
    ++calls_;
    const std::string who = m.contact.empty() ? m.channel : m.contact;
    if (auto it = failing_.find(who); it != failing_.end() && it->second != 0) {
      if (it->second > 0) --it->second;
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "no contact point of {} can take the message", who);
    }
    if (auto it = by_key_.find(m.idempotency_key); it != by_key_.end()) {
      return SentMessage{sent_[it->second].channel, sent_[it->second].text, false};
    }
    LL_ASSIGN(channels::Outgoing out, RelayMessenger::Prepare(*router_, m));
    LL_ASSIGN(channels::Planned planned, router_->Plan(out));
    by_key_[m.idempotency_key] = sent_.size();
    sent_.push_back({m.contact, planned.channel, planned.text, m.idempotency_key, clock_->Now()});
    return SentMessage{planned.channel, planned.text, true};
  }

  // Sends to `who` (a contact or a channel) fail `times` times (-1: always).
  void Fail(const std::string& who, int times) {
    std::lock_guard lock(mu_);
    failing_[who] = times;
  }
  std::vector<Sent> All() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<Sent> To(const std::string& contact) const {
    std::vector<Sent> out;
    for (const Sent& s : All()) {
      if (s.to == contact) out.push_back(s);
    }
    return out;
  }
  std::vector<Sent> Posts() const { return To(""); }

 private:
  core::Clock* clock_;
  mutable std::mutex mu_;  // guards everything below
  const channels::Router* router_ = nullptr;
  std::vector<Sent> sent_;
  std::map<std::string, std::size_t> by_key_;
  std::map<std::string, int> failing_;
  int calls_ = 0;
};

// The shared part of every test plan; STEPS, AFTER and TRIGGER are filled in per test.
constexpr const char* kPlanTemplate = R"yaml(
plan:
  name: Engine test plan
  roles:
    community_manager:
    comms_lead:
    superior:
    on_call:
  team:
    ana:
      contact: ana
      roles: [community_manager]
      hours: { zone: Europe/Lisbon, days: mon-fri, from: "09:00", to: "18:00" }
    cy: { contact: cy, roles: [comms_lead, on_call] }
    dee: { contact: dee, roles: [superior], name: Dee Evans }
  inventory:
    whatsapp:
      platform: whatsapp
      audience: 5000
      primary: true
      backup: telegram
      link: https://wa.me/15550100001
    telegram: { channel: brand-telegram, audience: 15000, link: "https://t.me/brand" }
    newsletter: { channel: brand-mail, audience: 20000, link: "https://brand.example/news" }
  escalation:
    standard: { after: 10m, to: [comms_lead, superior] }
    chain: { after: 10m, to: [comms_lead, community_manager] }
  responses:
    whatsapp-down:
      trigger: { platforms: [whatsapp], verdicts: [outage]TRIGGER }
      escalation: standard
      steps:
STEPS
AFTER
)yaml";

std::string PlanYaml(const std::string& steps, const std::string& after = "",
                     const std::string& trigger = "") {
  std::string s = kPlanTemplate;
  s.replace(s.find("TRIGGER"), 7, trigger);
  s.replace(s.find("STEPS"), 5, steps);
  s.replace(s.find("AFTER"), 5, after);
  return s;
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : clock_(kT0), messenger_(&clock_) {}
  ~EngineTest() override { StopAll(); }

  void Load(const std::string& plan_yaml) {
    plan_yaml_ = plan_yaml;
    auto loaded = testing::Read(plan_yaml, /*load=*/true);
    ASSERT_TRUE(loaded.plan.ok()) << loaded.plan.error().ToString();
    plan_ = std::make_unique<Plan>(std::move(*loaded.plan));
    ASSERT_NO_FATAL_FAILURE(OpenAll());
  }

  // The store, a relay that never delivers (its router renders), the scheduler and the engine.
  void OpenAll() {
    auto s = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
    auto world = testing::MakeWorld(std::string(testing::kRelay) + plan_yaml_);
    ASSERT_TRUE(world.ok()) << world.error().ToString();
    world_ = std::move(*world);
    channels::RelayOptions ro;
    ro.clock = &clock_;
    ro.platform_domains = world_->relay.platform_domains;
    relay_ = std::make_unique<channels::Relay>(&store_->Outbox(), std::move(world_->relay.channels),
                                               std::move(ro));
    router_ = std::make_unique<channels::Router>(relay_.get(), store_.get(), world_->relay.contacts,
                                                 world_->relay.templates);
    messenger_.SetRouter(router_.get());
    timers::SchedulerOptions so;
    so.clock = &clock_;
    so.worker_id = "test";
    so.backoff_base = 1s;
    scheduler_ = std::make_unique<timers::Scheduler>(&store_->Timers(), so);
    EngineOptions eo;
    eo.clock = &clock_;
    eo.platform_names = {{"whatsapp", "WhatsApp"}, {"instagram", "Instagram"}};
    eo.link_base = "https://lifeline.test/";
    eo.link_secret = "0123456789abcdef0123456789abcdef-test-secret";
    eo.handlers = &handlers_;
    eo.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    eo.on_monitor = [this](const MonitorWindow& w) {
      std::lock_guard lock(log_mu_);
      monitors_.push_back(w);
    };
    eo.shared = shared_;
    engine_ = std::make_unique<Engine>(*plan_, *store_, *scheduler_, messenger_, std::move(eo));
    auto started = engine_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    ASSERT_TRUE(scheduler_->Start().ok());
    Settle();
  }

  void StopAll() {
    if (scheduler_) scheduler_->Stop();
    if (engine_) engine_->Stop();
    engine_.reset();
    scheduler_.reset();
    router_.reset();
    relay_.reset();
    store_.reset();
  }

  // A process restart: everything in memory goes, the database stays.
  void Restart() {
    StopAll();
    ASSERT_NO_FATAL_FAILURE(OpenAll());
  }

  // Lets the engine and the scheduler finish everything due at the clock's time.
  void Settle() {
    int quiet = 0;
    for (int i = 0; i < 2000 && quiet < 3; ++i) {
      ASSERT_TRUE(engine_->WaitIdle(5s));
      store::TimerQuery due;
      due.state = store::TimerState::kPending;
      due.due_before = store::FromSystem(clock_.Now());
      auto pending = store_->Timers().List(due);
      store::TimerQuery claimed;
      claimed.state = store::TimerState::kClaimed;
      auto held = store_->Timers().List(claimed);
      ASSERT_TRUE(pending.ok() && held.ok());
      const bool still = !pending->empty() || !held->empty() || !scheduler_->SleepingUntil();
      quiet = still ? 0 : quiet + 1;
      std::this_thread::sleep_for(1ms);
    }
    ASSERT_EQ(quiet, 3) << "the engine and the scheduler did not settle";
  }

  void Advance(std::chrono::system_clock::duration d) {
    clock_.Advance(d);
    Settle();
  }

  TimePoint Now() const { return clock_.Now(); }

  core::IncidentNotice NoticeOf(const store::Incident& inc, core::IncidentNotice::Change c) {
    core::IncidentNotice n;
    n.change = c;
    n.incident_id = inc.id;
    n.domain = inc.domain;
    n.platforms = inc.platforms;
    n.verdict = inc.verdict;
    n.title = inc.title;
    n.opened_at = TimePoint(inc.opened_at);
    n.at = Now();
    return n;
  }

  // What serve does: the relay's circuits and the engine both hear of the incident.
  void Publish(const core::IncidentNotice& n) {
    relay_->OnIncident(n);
    engine_->OnIncident(n);
    Settle();
  }

  std::string Open(std::vector<std::string> platforms = {"whatsapp"},
                   store::IncidentKind kind = store::IncidentKind::kPlatform,
                   core::Verdict verdict = core::Verdict::kOutage) {
    store::NewIncident ni;
    ni.kind = kind;
    ni.domain = "meta";
    ni.platforms = std::move(platforms);
    ni.verdict = verdict;
    ni.title = "WhatsApp is down for everyone";
    ni.opened_at = store::FromSystem(Now());
    ni.message = "opened";
    auto inc = store_->OpenIncident(ni);
    EXPECT_TRUE(inc.ok()) << inc.error().ToString();
    Publish(NoticeOf(*inc, core::IncidentNotice::Change::kOpened));
    return inc->id;
  }

  void Close(const std::string& id) {
    store::NewEvent e;
    e.at = store::FromSystem(Now());
    e.type = "closed";
    e.message = "WhatsApp works again";
    auto inc = store_->CloseIncident(id, e);
    ASSERT_TRUE(inc.ok()) << inc.error().ToString();
    Publish(NoticeOf(*inc, core::IncidentNotice::Change::kClosed));
  }

  // The incident closes a minute later while nothing runs: the feed will not say so again.
  void CloseWhileStopped(const std::string& id) {
    StopAll();
    auto s = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(s.ok());
    store::NewEvent e;
    e.at = store::FromSystem(Now() + 1min);
    e.type = "closed";
    ASSERT_TRUE((*s)->CloseIncident(id, e).ok());
  }

  std::vector<store::IncidentEvent> Events(const std::string& id) {
    auto e = store_->ListEvents(id, 0, 10000);
    EXPECT_TRUE(e.ok());
    return e.ok() ? *e : std::vector<store::IncidentEvent>{};
  }
  std::vector<std::string> EventTypes(const std::string& id, std::string_view prefix = "playbook") {
    std::vector<std::string> out;
    for (const auto& e : Events(id)) {
      if (e.type.rfind(prefix, 0) == 0) out.push_back(e.type);
    }
    return out;
  }
  int CountEvents(const std::string& id, std::string_view type) {
    int n = 0;
    for (const auto& e : Events(id)) n += e.type == type;
    return n;
  }
  std::string Timeline(const std::string& id) {
    std::string out;
    for (const auto& e : Events(id)) out += e.type + ": " + e.message + "\n";
    return out;
  }

  store::Lifecycle LifecycleOf(const std::string& id) {
    auto l = store_->Playbook().GetLifecycle(id);
    EXPECT_TRUE(l.ok()) << l.error().ToString();
    return l.ok() ? l->state : store::Lifecycle::kDetected;
  }
  store::RunState RunOf(const std::string& id) {
    auto r = store_->Playbook().GetRun(id, "whatsapp-down");
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? r->state : store::RunState::kRunning;
  }
  store::StepRecord StepOf(const std::string& id, const std::string& step) {
    auto s = store_->Playbook().GetStep(id, "whatsapp-down", step);
    EXPECT_TRUE(s.ok()) << step << ": " << s.error().ToString();
    return s.ok() ? *s : store::StepRecord{};
  }
  std::vector<store::Assignment> Assignments(const std::string& id) {
    auto a = store_->Playbook().ListAssignments({id, std::nullopt, std::nullopt, 100});
    EXPECT_TRUE(a.ok());
    return a.ok() ? *a : std::vector<store::Assignment>{};
  }
  store::Assignment AssignmentOf(const std::string& id, store::AssignmentKind kind) {
    for (const auto& a : Assignments(id)) {
      if (a.kind == kind) return a;
    }
    ADD_FAILURE() << "no " << store::AssignmentKindName(kind) << " for " << id;
    return {};
  }

  static std::vector<std::string> Texts(const std::vector<Sent>& sent) {
    std::vector<std::string> out;
    for (const Sent& s : sent) out.push_back(s.text);
    return out;
  }
  static std::string LinkIn(const std::string& text, std::string_view label) {
    auto at = text.find(std::string(label) + ": ");
    if (at == std::string::npos) return "";
    auto start = at + label.size() + 2;
    return text.substr(start, text.find('\n', start) - start);
  }

  lifeline::testing::TempDir dir_{"playbook-engine"};
  core::FakeClock clock_;
  FakeMessenger messenger_;
  StepHandlers handlers_;
  std::string plan_yaml_;
  std::unique_ptr<Plan> plan_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<testing::World> world_;
  std::unique_ptr<channels::Relay> relay_;
  std::unique_ptr<channels::Router> router_;
  std::unique_ptr<timers::Scheduler> scheduler_;
  std::unique_ptr<Engine> engine_;
  std::mutex log_mu_;  // guards log_, monitors_
  std::vector<std::string> log_;
  std::vector<MonitorWindow> monitors_;  // what on_monitor was told
  bool shared_ = false;                  // EngineOptions::shared at the next OpenAll
};

// ---- ordering ----

TEST_F(EngineTest, StepsRunInOrderAndEachMessageGoesOutOnce) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [community_manager, comms_lead], template: team-alert }
        - post: { template: holding }
        - task: { title: Answer the complaints on Telegram, role: community_manager }
        - { id: five-minutes, wait: 5m }
        - notify: { to: [comms_lead], text: "{platform} still down after 5 minutes" }
)yaml")));
  const std::string inc = Open();

  // The team alert reaches Ana on e-mail: her WhatsApp rides the failure (its circuit is open).
  auto ana = messenger_.To("ana");
  ASSERT_EQ(ana.size(), 2u);
  EXPECT_EQ(ana[0].channel, "team-email");
  EXPECT_EQ(ana[0].text,
            "WhatsApp is down since 10:00 UTC: WhatsApp is down for everyone (" + inc + ")");
  EXPECT_THAT(ana[1].text, HasSubstr("Task for you (WhatsApp incident " + inc +
                                     "): Answer the complaints on Telegram"));
  EXPECT_THAT(ana[1].text, HasSubstr("Acknowledge: https://lifeline.test/ack/"));
  auto cy = messenger_.To("cy");
  ASSERT_EQ(cy.size(), 1u) << "the last notify waits for the 5 minutes";
  EXPECT_EQ(cy[0].channel, "team-telegram");
  // The holding statement on the surviving channels only, with the backup and its link.
  auto posts = messenger_.Posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].channel, "brand-telegram");
  EXPECT_EQ(posts[1].channel, "brand-mail");
  EXPECT_EQ(posts[0].text, "WhatsApp is down. Reach us on Telegram: https://t.me/brand");
  // In plan order: the alert before the post, the post before the task.
  auto all = messenger_.All();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[0].to, "ana");
  EXPECT_EQ(all[1].to, "cy");
  EXPECT_EQ(all[2].to, "");
  EXPECT_EQ(all[4].to, "ana");
  EXPECT_EQ(StepOf(inc, "five-minutes").state, store::StepState::kWaiting);
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kMitigating) << "the holding statement is out";

  Advance(4min + 59s);
  EXPECT_EQ(messenger_.To("cy").size(), 1u);
  Advance(1s);
  cy = messenger_.To("cy");
  ASSERT_EQ(cy.size(), 2u);
  EXPECT_EQ(cy[1].text, "WhatsApp still down after 5 minutes");
  EXPECT_EQ(cy[1].at, kT0 + 5min);
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);

  // The feed repeating the incident (a reconnect, an update) sends nothing again.
  auto got = store_->GetIncident(inc);
  Publish(NoticeOf(*got, core::IncidentNotice::Change::kUpdated));
  EXPECT_EQ(messenger_.All().size(), 6u);

  // The timeline tells the story in order, with who.
  const auto types = EventTypes(inc);
  ASSERT_GE(types.size(), 4u);
  EXPECT_EQ(types[0], "playbook_lifecycle");
  EXPECT_EQ(types[1], "playbook_response_started");
  EXPECT_EQ(types[2], "playbook_step_started");
  EXPECT_EQ(types.back(), "playbook_response_finished");
  EXPECT_EQ(CountEvents(inc, "playbook_message"), 6) << Timeline(inc);
  EXPECT_THAT(Timeline(inc), HasSubstr("Told Ana Lima via team-email"));
  EXPECT_THAT(Timeline(inc), HasSubstr("Posted on Telegram"));
}

// ---- parallel ----

TEST_F(EngineTest, ParallelStepsStartTogetherAndTheGroupEndsWhenAllHave) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - id: together
          parallel:
            - notify: { to: [comms_lead], text: "first of the group" }
              on_error: { retry: 3, every: 2m, then: continue }
            - notify: { to: [superior], text: "second of the group" }
            - post: { template: holding }
        - notify: { to: [community_manager], text: "after the group" }
)yaml")));
  messenger_.Fail("cy", 1);
  const std::string inc = Open();
  // All three start at once; the first fails and waits for its retry.
  EXPECT_THAT(messenger_.To("cy"), IsEmpty());
  EXPECT_THAT(Texts(messenger_.To("dee")), ElementsAre("second of the group"));
  EXPECT_EQ(messenger_.Posts().size(), 2u);
  EXPECT_EQ(StepOf(inc, "together").state, store::StepState::kWaiting);
  EXPECT_THAT(messenger_.To("ana"), IsEmpty()) << "the step after the group waits for all of it";

  Advance(119s);
  EXPECT_THAT(messenger_.To("ana"), IsEmpty());
  Advance(1s);
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("first of the group"));
  EXPECT_THAT(Texts(messenger_.To("ana")), ElementsAre("after the group"));
  EXPECT_EQ(messenger_.To("ana")[0].at, kT0 + 2min);
  EXPECT_EQ(StepOf(inc, "together").state, store::StepState::kDone);
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
}

// ---- triggers ----

TEST_F(EngineTest, ATriggerWithAMinimumDurationWaitsAndNeverFiresForAShortIncident) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [comms_lead], text: "{platform} down for 2 minutes" }
)yaml",
                                        "", ", for: 2m")));
  const std::string brief = Open();
  EXPECT_THAT(messenger_.All(), IsEmpty());
  EXPECT_THAT(Timeline(brief), HasSubstr("starts at 10:02:00 UTC if the incident is still open"));
  Advance(90s);
  Close(brief);
  Advance(5min);
  EXPECT_THAT(messenger_.All(), IsEmpty()) << "an incident of 90 s never met the 2 minutes";
  EXPECT_EQ(store_->Playbook().GetRun(brief, "whatsapp-down").error().code(),
            core::ErrorCode::kNotFound);
  EXPECT_EQ(store_->Playbook().GetLifecycle(brief).error().code(), core::ErrorCode::kNotFound);

  // One that lasts starts exactly when it has lasted 2 minutes.
  const std::string lasting = Open();
  Advance(119s);
  EXPECT_THAT(messenger_.All(), IsEmpty());
  Advance(1s);
  ASSERT_EQ(messenger_.To("cy").size(), 1u);
  EXPECT_EQ(messenger_.To("cy")[0].at, TimePoint(Now()));
  EXPECT_EQ(RunOf(lasting), store::RunState::kFinished);
}

// ---- approvals and escalation ----

TEST_F(EngineTest, AnApprovalNotGivenInTimeEscalatesLevelByLevelAndHoldsTheStepsAfterIt) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - approve: { role: superior, what: Move the ads budget to TikTok, timeout: 15m, escalation: chain }
        - notify: { to: [comms_lead], text: "budget moved" }
)yaml")));
  const std::string inc = Open();
  auto dee = messenger_.To("dee");
  ASSERT_EQ(dee.size(), 1u);
  EXPECT_THAT(dee[0].text, HasSubstr("Approval needed (WhatsApp incident " + inc +
                                     "): Move the ads budget to TikTok. Please answer by "
                                     "10:15 UTC."));
  EXPECT_THAT(dee[0].text, HasSubstr("Approve: https://lifeline.test/ack/"));
  EXPECT_THAT(dee[0].text, HasSubstr("Refuse: https://lifeline.test/ack/"));
  EXPECT_EQ(StepOf(inc, "approve-superior").state, store::StepState::kWaiting);

  Advance(15min - 1s);
  EXPECT_THAT(messenger_.To("cy"), IsEmpty());
  Advance(1s);
  // Level 1: the comms lead, after the timeout.
  auto cy = messenger_.To("cy");
  ASSERT_EQ(cy.size(), 1u);
  EXPECT_EQ(cy[0].at, kT0 + 15min);
  EXPECT_THAT(cy[0].text, HasSubstr("Approval needed, no answer from superior for 15 min"));
  EXPECT_THAT(cy[0].text, HasSubstr("Approve: https://lifeline.test/ack/"));
  EXPECT_THAT(messenger_.To("ana"), IsEmpty());
  // Level 2: the community manager, `after` later.
  Advance(10min);
  auto ana = messenger_.To("ana");
  ASSERT_EQ(ana.size(), 1u);
  EXPECT_EQ(ana[0].at, kT0 + 25min);
  // The last level's `after` ends the escalation; the request stays open, the next step waits.
  Advance(10min);
  EXPECT_EQ(CountEvents(inc, "playbook_escalated"), 2) << Timeline(inc);
  EXPECT_EQ(CountEvents(inc, "playbook_escalation_ended"), 1) << Timeline(inc);
  EXPECT_THAT(Timeline(inc), HasSubstr("escalated to Cy Diaz: comms_lead, level 1 of 2"));
  EXPECT_THAT(Timeline(inc), HasSubstr("escalated to Ana Lima: community_manager, level 2 of 2"));
  EXPECT_EQ(messenger_.To("cy").size(), 1u);
  store::Assignment a = AssignmentOf(inc, store::AssignmentKind::kApproval);
  EXPECT_EQ(a.state, store::AssignmentState::kOpen);
  EXPECT_EQ(a.escalation_level, 2);
  EXPECT_THAT(a.notified, ElementsAre("dee", "cy", "ana"));

  // Approved by the comms lead at last: the step after it runs at once.
  auto approved = engine_->Approve(a.id, "cy");
  ASSERT_TRUE(approved.ok()) << approved.error().ToString();
  Settle();
  EXPECT_THAT(Texts(messenger_.To("cy")).back(), "budget moved");
  EXPECT_EQ(approved->ended_by, "cy");
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kAcknowledged);
  EXPECT_THAT(Timeline(inc), HasSubstr("Cy Diaz approved 'Move the ads budget to TikTok'"));
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
  // Deciding twice is refused and says who decided.
  auto again = engine_->Refuse(a.id, "dee", "too late");
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message(), HasSubstr("already approved (by cy"));
}

TEST_F(EngineTest, ARefusedApprovalStopsTheResponse) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - approve: { role: superior, what: Move the budget, timeout: 15m }
        - notify: { to: [comms_lead], text: "budget moved" }
)yaml")));
  const std::string inc = Open();
  store::Assignment a = AssignmentOf(inc, store::AssignmentKind::kApproval);
  ASSERT_TRUE(engine_->Refuse(a.id, "dee", "the budget is frozen").ok());
  Settle();
  EXPECT_THAT(messenger_.To("cy"), IsEmpty());
  EXPECT_EQ(RunOf(inc), store::RunState::kStopped);
  EXPECT_EQ(StepOf(inc, "notify-comms_lead").state, store::StepState::kSkipped);
  EXPECT_THAT(Timeline(inc),
              HasSubstr("Dee Evans refused 'Move the budget': the budget is frozen"));
  // Nothing is chased any more.
  Advance(1h);
  EXPECT_THAT(messenger_.To("cy"), IsEmpty());
}

TEST_F(EngineTest, AnApprovalTimeoutCanGoOnWithoutItOrStop) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - approve: { role: superior, what: Post on X, timeout: 5m, on_timeout: continue }
        - notify: { to: [comms_lead], text: "went on" }
        - approve: { role: superior, what: Spend more, timeout: 5m, on_timeout: stop }
        - notify: { to: [comms_lead], text: "never" }
)yaml")));
  const std::string inc = Open();
  Advance(5min);
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("went on"));
  EXPECT_EQ(StepOf(inc, "approve-superior").state, store::StepState::kSkipped);
  Advance(5min);
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("went on"));
  EXPECT_EQ(RunOf(inc), store::RunState::kStopped);
  EXPECT_EQ(CountEvents(inc, "playbook_expired"), 2) << Timeline(inc);
}

// ---- working hours ----

TEST_F(EngineTest, OffHoursMessagesGoToTheOnCallRole) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [community_manager], text: "{platform} is down" }
)yaml")));
  // Friday 10:00 in Lisbon: Ana works.
  Open();
  EXPECT_EQ(messenger_.To("ana").size(), 1u);
  EXPECT_THAT(messenger_.To("cy"), IsEmpty());
  // Saturday 10:00: she does not; the on-call comms lead is told instead.
  clock_.Set(kT0 + 24h);
  Open({"whatsapp"});
  EXPECT_EQ(messenger_.To("ana").size(), 1u);
  ASSERT_EQ(messenger_.To("cy").size(), 1u);
  EXPECT_EQ(messenger_.To("cy")[0].text, "WhatsApp is down");
}

// ---- on_error ----

TEST_F(EngineTest, OnErrorContinueRecordsTheFailureAndGoesOn) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [superior], text: "to dee" }
          on_error: continue
        - notify: { to: [comms_lead], text: "to cy" }
)yaml")));
  messenger_.Fail("dee", -1);
  const std::string inc = Open();
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("to cy"));
  auto s = StepOf(inc, "notify-superior");
  EXPECT_EQ(s.state, store::StepState::kFailed);
  EXPECT_THAT(s.last_error, HasSubstr("no contact point of dee"));
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
  EXPECT_THAT(Timeline(inc), HasSubstr("Step notify-superior failed: not sent to Dee Evans"));
}

TEST_F(EngineTest, OnErrorRetryTriesAgainAndTheStepsAfterWait) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [superior], text: "to dee" }
          on_error: { retry: 3, every: 30s, then: stop }
        - notify: { to: [comms_lead], text: "to cy" }
)yaml")));
  messenger_.Fail("dee", 2);
  const std::string inc = Open();
  EXPECT_THAT(messenger_.All(), IsEmpty());
  EXPECT_EQ(StepOf(inc, "notify-superior").state, store::StepState::kWaiting);
  Advance(30s);
  EXPECT_THAT(messenger_.All(), IsEmpty());
  Advance(30s);
  EXPECT_THAT(Texts(messenger_.To("dee")), ElementsAre("to dee"));
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("to cy"));
  EXPECT_EQ(messenger_.To("cy")[0].at, kT0 + 60s);
  auto s = StepOf(inc, "notify-superior");
  EXPECT_EQ(s.state, store::StepState::kDone);
  EXPECT_EQ(s.attempts, 3);
  EXPECT_THAT(Timeline(inc), HasSubstr("failed (attempt 2 of 3)"));
}

TEST_F(EngineTest, OnErrorRetryOutOfAttemptsThenStopSkipsTheRest) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [superior], text: "to dee" }
          on_error: { retry: 2, every: 1m, then: stop }
        - notify: { to: [comms_lead], text: "to cy" }
)yaml")));
  messenger_.Fail("dee", -1);
  const std::string inc = Open();
  Advance(10min);
  EXPECT_THAT(messenger_.All(), IsEmpty());
  EXPECT_EQ(StepOf(inc, "notify-superior").state, store::StepState::kFailed);
  EXPECT_EQ(StepOf(inc, "notify-superior").attempts, 2);
  EXPECT_EQ(StepOf(inc, "notify-comms_lead").state, store::StepState::kSkipped);
  EXPECT_EQ(RunOf(inc), store::RunState::kStopped);
}

TEST_F(EngineTest, OnErrorStopEndsTheResponse) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [superior], text: "to dee" }
          on_error: stop
        - notify: { to: [comms_lead], text: "to cy" }
)yaml")));
  messenger_.Fail("dee", -1);
  const std::string inc = Open();
  EXPECT_THAT(messenger_.All(), IsEmpty());
  EXPECT_EQ(RunOf(inc), store::RunState::kStopped);
  EXPECT_THAT(Timeline(inc), HasSubstr("Response whatsapp-down stopped: step notify-superior "
                                       "failed"));
}

TEST_F(EngineTest, OnErrorEscalateTellsThePolicyLevelsAndGoesOn) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - post: { template: holding }
          on_error: { escalate: standard }
        - notify: { to: [community_manager], text: "after the post" }
)yaml")));
  messenger_.Fail("brand-telegram", -1);
  const std::string inc = Open();
  // The failure goes to level 1 at once; the response goes on.
  auto cy = messenger_.To("cy");
  ASSERT_EQ(cy.size(), 1u);
  EXPECT_THAT(cy[0].text, HasSubstr("Step post-holding of response whatsapp-down failed"));
  EXPECT_THAT(cy[0].text, HasSubstr("Acknowledge: https://lifeline.test/ack/"));
  EXPECT_THAT(Texts(messenger_.To("ana")), ElementsAre("after the post"));
  EXPECT_EQ(StepOf(inc, "post-holding").state, store::StepState::kFailed);
  // Nobody acknowledges: the superior is told 10 minutes later.
  Advance(10min);
  ASSERT_EQ(messenger_.To("dee").size(), 1u);
  EXPECT_EQ(messenger_.To("dee")[0].at, kT0 + 10min);
}

// ---- steps other parts carry out ----

class CountingHandler final : public StepHandler {
 public:
  core::Result<std::string> Run(const StepRequest& r) override {
    ++runs;
    key = r.key;
    return std::string("3 conversations moved to Telegram");
  }
  std::atomic<int> runs{0};
  std::string key;
};

TEST_F(EngineTest, StepsOfPartsNotBuiltYetAreRecordedAndTheResponseGoesOn) {
  auto handler = std::make_shared<CountingHandler>();
  ASSERT_TRUE(handlers_.Register(StepKind::kMoveConversations, handler).ok());
  EXPECT_EQ(handlers_.Register(StepKind::kNotify, handler).error().code(),
            core::ErrorCode::kInvalidArgument);
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - move_conversations:
        - pause: [ads]
        - notify: { to: [comms_lead], text: "done" }
)yaml")));
  const std::string inc = Open();
  EXPECT_EQ(handler->runs.load(), 1);
  EXPECT_EQ(handler->key, "playbook/" + inc + "/whatsapp-down/move-conversations");
  EXPECT_EQ(StepOf(inc, "move-conversations").note, "3 conversations moved to Telegram");
  auto pause = StepOf(inc, "pause-ads");
  EXPECT_EQ(pause.state, store::StepState::kSkipped);
  EXPECT_THAT(pause.note, HasSubstr("waiting for the ads guard and the content calendar"));
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("done"));
}

// ---- restart ----

TEST_F(EngineTest, ARestartInTheMiddleOfAnEscalationNeitherLosesNorRepeatsAnything) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - task: { title: Answer the complaints, role: community_manager }
        - wait: 15m
        - notify: { to: [comms_lead], text: "15 minutes in" }
)yaml")));
  const std::string inc = Open();
  ASSERT_EQ(messenger_.To("ana").size(), 1u);
  Advance(10min);
  ASSERT_EQ(messenger_.To("cy").size(), 1u) << "level 1 asked";
  EXPECT_THAT(messenger_.To("cy")[0].text,
              HasSubstr("Not acknowledged after 10 min: Answer the complaints. It was "
                        "given to Ana Lima. Can you take it?"));
  const int events_before = static_cast<int>(Events(inc).size());

  ASSERT_NO_FATAL_FAILURE(Restart());
  EXPECT_EQ(static_cast<int>(Events(inc).size()), events_before) << "resuming re-ran a step:\n"
                                                                 << Timeline(inc);
  EXPECT_EQ(messenger_.All().size(), 2u);

  Advance(5min);
  EXPECT_THAT(Texts(messenger_.To("cy")).back(), "15 minutes in") << "the wait survived";
  Advance(5min);
  ASSERT_EQ(messenger_.To("dee").size(), 1u) << "level 2 asked after the restart";
  EXPECT_EQ(messenger_.To("dee")[0].at, kT0 + 20min);

  // A timer that fires again (a crash between the work and its completion) repeats nothing.
  const store::Assignment task = AssignmentOf(inc, store::AssignmentKind::kTask);
  const std::string level2 = "playbook/" + task.key + "/escalate/1";
  ASSERT_TRUE(
      store_->Timers().Reschedule(level2, store::FromSystem(Now()), store::FromSystem(Now())).ok());
  scheduler_->Wake();
  Settle();
  Advance(10min);
  EXPECT_EQ(messenger_.To("ana").size(), 1u);
  EXPECT_EQ(messenger_.To("cy").size(), 2u);
  EXPECT_EQ(messenger_.To("dee").size(), 1u);
  EXPECT_EQ(CountEvents(inc, "playbook_escalated"), 2) << Timeline(inc);
  EXPECT_EQ(CountEvents(inc, "playbook_escalation_ended"), 1) << Timeline(inc);
  EXPECT_EQ(CountEvents(inc, "playbook_assigned"), 1) << Timeline(inc);
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
}

TEST_F(EngineTest, AnIncidentThatClosedWhileStoppedIsFoundAtTheNextStart) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [comms_lead], text: "down" }
        - { id: half-an-hour, wait: 30m }
)yaml",
                                        R"yaml(
      after_restoration:
        monitor: { window: 1h }
)yaml")));
  const std::string inc = Open();
  ASSERT_NO_FATAL_FAILURE(CloseWhileStopped(inc));
  ASSERT_NO_FATAL_FAILURE(OpenAll());
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kMonitoring);
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
  EXPECT_EQ(StepOf(inc, "half-an-hour").state, store::StepState::kSkipped);
}

TEST_F(EngineTest, SharedOnlyTheInstanceThatRunsThePlatformResumesItsResponse) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [comms_lead], text: "down" }
        - { id: half-an-hour, wait: 30m }
)yaml",
                                        R"yaml(
      after_restoration:
        monitor: { window: 1h }
)yaml")));
  const std::string inc = Open();
  ASSERT_NO_FATAL_FAILURE(CloseWhileStopped(inc));
  // Another instance starts on the shared database: WhatsApp is not its platform.
  shared_ = true;
  ASSERT_NO_FATAL_FAILURE(OpenAll());
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kDetected) << "resumed by a non-owner";
  EXPECT_EQ(RunOf(inc), store::RunState::kRunning);
  engine_->SetOwned({"instagram"});
  Settle();
  EXPECT_EQ(RunOf(inc), store::RunState::kRunning) << "resumed by the owner of another platform";
  // Its lease comes to this instance (the owner died): it resumes the response at once.
  engine_->SetOwned({"instagram", "whatsapp"});
  Settle();
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kMonitoring);
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
  EXPECT_EQ(StepOf(inc, "half-an-hour").state, store::StepState::kSkipped);
  EXPECT_EQ(CountEvents(inc, "playbook_monitoring"), 1) << Timeline(inc);
}

TEST_F(EngineTest, AMonitoringWindowProbesFasterAgainAfterARestartAndIsListedUntilItEnds) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [comms_lead], text: "down" }
)yaml",
                                        R"yaml(
      after_restoration:
        monitor: { window: 1h, probe_interval: 30s }
)yaml")));
  const std::string inc = Open();
  Advance(10min);
  Close(inc);
  {
    std::lock_guard lock(log_mu_);
    monitors_.clear();  // what the restarted engine says, only
  }
  ASSERT_NO_FATAL_FAILURE(Restart());
  {
    std::lock_guard lock(log_mu_);
    ASSERT_FALSE(monitors_.empty()) << "the restarted engine did not ask for faster probing";
    EXPECT_TRUE(monitors_.back().active);
    EXPECT_EQ(monitors_.back().probe_interval, 30s);
    EXPECT_THAT(monitors_.back().platforms, ElementsAre("whatsapp"));
  }
  auto windows = engine_->ActiveWindows();
  ASSERT_TRUE(windows.ok()) << windows.error().ToString();
  ASSERT_EQ(windows->size(), 1u);
  EXPECT_EQ((*windows)[0].incident_id, inc);
  EXPECT_EQ((*windows)[0].probe_interval, 30s);
  Advance(1h);
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kResolved);
  windows = engine_->ActiveWindows();
  ASSERT_TRUE(windows.ok());
  EXPECT_THAT(*windows, IsEmpty());
  std::lock_guard lock(log_mu_);
  EXPECT_FALSE(monitors_.back().active) << "the window's end was told";
}

// ---- restoration ----

TEST_F(EngineTest, AfterRestorationTheChecklistIsAssignedAndTheWindowEndsResolved) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [comms_lead], text: "down" }
        - approve: { role: superior, what: Move the budget, timeout: 2h }
)yaml",
                                        R"yaml(
      after_restoration:
        checklist:
          - { title: Check the scheduled posts went out, role: community_manager }
        monitor: { window: 1h, probe_interval: 30s }
)yaml")));
  const std::string inc = Open();
  Advance(20min);
  Close(inc);
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kMonitoring);
  EXPECT_EQ(RunOf(inc), store::RunState::kFinished);
  // The approval nobody gave is no longer needed.
  EXPECT_EQ(AssignmentOf(inc, store::AssignmentKind::kApproval).state,
            store::AssignmentState::kExpired);
  // The checklist item is Ana's task, with its link.
  auto ana = messenger_.To("ana");
  ASSERT_EQ(ana.size(), 1u);
  EXPECT_THAT(ana[0].text, HasSubstr("Check the scheduled posts went out"));
  EXPECT_THAT(Timeline(inc), HasSubstr("Monitoring WhatsApp for 1 h, until 11:20:00 UTC (probe "
                                       "interval 30 s)"));

  Advance(59min);
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kMonitoring);
  Advance(1min);
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kResolved);
  auto reviewed = engine_->MarkReviewed(inc, "dee");
  ASSERT_TRUE(reviewed.ok()) << reviewed.error().ToString();
  EXPECT_EQ(reviewed->state, store::Lifecycle::kReviewed);
  std::vector<store::Lifecycle> path;
  for (const auto& t : reviewed->transitions) path.push_back(t.to);
  EXPECT_THAT(path, ElementsAre(store::Lifecycle::kDetected, store::Lifecycle::kMonitoring,
                                store::Lifecycle::kResolved, store::Lifecycle::kReviewed));
  EXPECT_EQ(reviewed->transitions.back().by, "dee");
  EXPECT_EQ(TimePoint(reviewed->transitions[2].at), kT0 + 80min);
  EXPECT_FALSE(engine_->MarkReviewed(inc, "dee").ok()) << "reviewed once";
}

TEST_F(EngineTest, APlatformThatFailsAgainDuringTheWindowGoesBackToMitigating) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - post: { template: holding }
)yaml",
                                        R"yaml(
      after_restoration:
        monitor: { window: 1h }
)yaml")));
  const std::string first = Open();
  Advance(10min);
  Close(first);
  Advance(20min);
  const std::string again = Open();
  EXPECT_EQ(LifecycleOf(first), store::Lifecycle::kMitigating);
  EXPECT_THAT(Timeline(first), HasSubstr("failed again (incident " + again + ")"));
  Advance(1h);
  EXPECT_EQ(LifecycleOf(first), store::Lifecycle::kMitigating) << "the old window does not end it";
  Close(again);
  EXPECT_EQ(LifecycleOf(first), store::Lifecycle::kMonitoring);
  Advance(1h);
  EXPECT_EQ(LifecycleOf(first), store::Lifecycle::kResolved);
  EXPECT_EQ(LifecycleOf(again), store::Lifecycle::kResolved);
}

// ---- acknowledgements and links ----

TEST_F(EngineTest, AcknowledgingATaskStopsItsEscalationAndMovesTheLifecycle) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - task: { title: Answer the complaints, role: community_manager }
)yaml")));
  const std::string inc = Open();
  store::Assignment task = AssignmentOf(inc, store::AssignmentKind::kTask);
  Advance(3min);
  auto acked = engine_->Acknowledge(task.id, "ana");
  ASSERT_TRUE(acked.ok()) << acked.error().ToString();
  EXPECT_EQ(acked->acknowledged_by, "ana");
  EXPECT_EQ(TimePoint(*acked->acknowledged_at), kT0 + 3min);
  EXPECT_EQ(LifecycleOf(inc), store::Lifecycle::kAcknowledged);
  EXPECT_THAT(Timeline(inc),
              HasSubstr("Ana Lima acknowledged task 'Answer the complaints' (3 min after it "
                        "was given)"));
  Advance(1h);
  EXPECT_THAT(messenger_.To("cy"), IsEmpty()) << "nobody is chased after an acknowledgement";
  auto done = engine_->Done(task.id, "ana");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state, store::AssignmentState::kDone);
  EXPECT_EQ(engine_->Approve(task.id, "ana").error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(engine_->Acknowledge("asg_nope", "ana").error().code(), core::ErrorCode::kNotFound);
}

TEST_F(EngineTest, EveryTimelineEntryIsPublishedLiveAsStored) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - notify: { to: [community_manager], template: team-alert }
        - task: { title: Answer the complaints, role: community_manager }
)yaml")));
  std::mutex mu;
  std::vector<store::IncidentEvent> live;
  auto sub = engine_->Subscribe([&](const store::IncidentEvent& e) {
    std::lock_guard lock(mu);
    live.push_back(e);
  });
  const std::string inc = Open();
  ASSERT_TRUE(engine_->Acknowledge(AssignmentOf(inc, store::AssignmentKind::kTask).id, "ana").ok());
  std::vector<store::IncidentEvent> stored;
  for (const auto& e : Events(inc)) {
    if (e.type.rfind("playbook", 0) == 0) stored.push_back(e);
  }
  std::lock_guard lock(mu);
  ASSERT_EQ(live.size(), stored.size()) << Timeline(inc);
  for (std::size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(live[i].incident_id, inc);
    EXPECT_EQ(live[i].seq, stored[i].seq) << "published as stored, with its place on the timeline";
    EXPECT_EQ(live[i].type, stored[i].type);
    EXPECT_EQ(live[i].message, stored[i].message);
  }
  EXPECT_EQ(live.back().type, "playbook_lifecycle") << "the acknowledgement moved the lifecycle";
}

TEST_F(EngineTest, ALinkWorksOnceAndIsRefusedWhenReusedForgedOrExpired) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - task: { title: Answer the complaints, role: community_manager }
        - approve: { role: superior, what: Move the budget, timeout: 2h }
        - notify: { to: [comms_lead], text: "approved" }
)yaml")));
  const std::string inc = Open();
  // The link in Ana's message acknowledges her task, once.
  const std::string ack = LinkIn(messenger_.To("ana")[0].text, "Acknowledge");
  ASSERT_THAT(ack, HasSubstr("https://lifeline.test/ack/"));
  auto first = engine_->Redeem(ack);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->action, LinkAction::kAcknowledge);
  EXPECT_EQ(first->by, "ana");
  EXPECT_EQ(first->assignment.acknowledged_by, "ana");
  auto reused = engine_->Redeem(ack);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(reused.error().message(), HasSubstr("already used at 2026-11-27T10:00:00"));

  // Forged: a token changed by one character, one made up, one cut short.
  const std::string approve = LinkIn(messenger_.To("dee")[0].text, "Approve");
  std::string altered = approve;
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  for (const std::string& bad : {altered, std::string("https://lifeline.test/ack/AAAA.BBBB"),
                                 approve.substr(0, approve.size() - 5), std::string()}) {
    auto r = engine_->Redeem(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), core::ErrorCode::kUnauthenticated) << bad;
    EXPECT_THAT(r.error().message(), HasSubstr("not issued by this Lifeline"));
  }
  EXPECT_EQ(AssignmentOf(inc, store::AssignmentKind::kApproval).state,
            store::AssignmentState::kOpen);
  EXPECT_THAT(messenger_.To("cy"), IsEmpty());

  // A link issued on request (the API's), redeemed after it expired.
  auto issued = engine_->IssueLink(AssignmentOf(inc, store::AssignmentKind::kApproval).id,
                                   LinkAction::kRefuse, "dee");
  ASSERT_TRUE(issued.ok()) << issued.error().ToString();
  Advance(24h + 1s);
  auto expired = engine_->Redeem(*issued);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code(), core::ErrorCode::kDeadlineExceeded);
  EXPECT_THAT(expired.error().message(), HasSubstr("expired at 2026-11-28T10:00:00"));
  EXPECT_EQ(engine_->IssueLink(first->assignment.id, LinkAction::kApprove, "ana").error().code(),
            core::ErrorCode::kInvalidArgument)
      << "a task is not approved";
}

TEST_F(EngineTest, AnApprovalLinkApprovesAndTheStepsAfterItRun) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - approve: { role: superior, what: Move the budget, timeout: 2h }
        - notify: { to: [comms_lead], text: "approved" }
)yaml")));
  const std::string inc = Open();
  auto r = engine_->Redeem(LinkIn(messenger_.To("dee")[0].text, "Approve"));
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  Settle();
  EXPECT_EQ(r->assignment.state, store::AssignmentState::kApproved);
  EXPECT_EQ(r->assignment.ended_by, "dee");
  EXPECT_THAT(Texts(messenger_.To("cy")), ElementsAre("approved"));
  // The refuse link of the same request no longer does anything.
  auto refuse = engine_->Redeem(LinkIn(messenger_.To("dee")[0].text, "Refuse"));
  ASSERT_FALSE(refuse.ok());
  EXPECT_THAT(refuse.error().message(), HasSubstr("already approved (by dee"));
}

}  // namespace
}  // namespace lifeline::playbook

namespace lifeline::playbook {
namespace {

// The plan's API (routes.h) over the engine: what the console and the link page call.
TEST_F(EngineTest, TheApiActsThroughTheEngineAndMatchesTheOpenApiDocument) {
  ASSERT_NO_FATAL_FAILURE(Load(PlanYaml(R"yaml(
        - task: { title: Answer the complaints, role: community_manager }
)yaml")));
  const std::string inc = Open();
  PlaybookRoutes routes(*engine_, *store_, Advice{}, &clock_);
  std::vector<api::PartRoute> list = routes.Routes();
  auto call = [&](std::string method, std::string pattern,
                  std::vector<std::pair<std::string, std::string>> params, std::string body = "") {
    for (const auto& r : list) {
      if (r.method != method || r.pattern != pattern) continue;
      api::PartRequest req;
      req.method = method;
      req.params = std::move(params);
      req.body = std::move(body);
      req.role = api::Role::kOperator;
      return r.handle(req);
    }
    ADD_FAILURE() << method << " " << pattern << " is not routed";
    return core::Result<api::PartResponse>(core::MakeError(core::ErrorCode::kNotFound, "no route"));
  };
  const store::Assignment task = AssignmentOf(inc, store::AssignmentKind::kTask);
  // A link: GET tells what it does and never acts (a chat app's preview); POST acts once.
  const std::string link = LinkIn(messenger_.To("ana")[0].text, "Acknowledge");
  ASSERT_FALSE(link.empty()) << messenger_.To("ana")[0].text;
  const std::string token(TokenOfLink(link));
  auto info = call("GET", "/v1/ack/{token}", {{"token", token}});
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  EXPECT_EQ(info->body["usable"], true);
  EXPECT_EQ(info->body["assignment"]["title"], "Answer the complaints");
  EXPECT_EQ(AssignmentOf(inc, store::AssignmentKind::kTask).state, store::AssignmentState::kOpen)
      << "a preview does nothing";
  auto used = call("POST", "/v1/ack/{token}", {{"token", token}});
  ASSERT_TRUE(used.ok()) << used.error().ToString();
  EXPECT_EQ(used->body["assignment"]["state"], "acknowledged");
  auto again = call("GET", "/v1/ack/{token}", {{"token", token}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->body["usable"], false);
  EXPECT_THAT(again->body["problem"].get<std::string>(), HasSubstr("already used"));
  // Who acts through the API is required, and named on the assignment.
  auto nobody = call("POST", "/v1/assignments/{id}/done", {{"id", task.id}}, "{}");
  ASSERT_FALSE(nobody.ok());
  EXPECT_THAT(nobody.error().message(), HasSubstr("by is required"));
  auto done = call("POST", "/v1/assignments/{id}/done", {{"id", task.id}}, R"({"by":"ana"})");
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_EQ(done->body["state"], "done");
  EXPECT_EQ(done->body["ended_by"], "ana (through the API)");
  auto response = call("GET", "/v1/incidents/{id}/response", {{"id", inc}});
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->body["lifecycle"]["state"], "acknowledged");
  EXPECT_EQ(call("GET", "/v1/incidents/{id}/response", {{"id", "inc_nope"}}).error().code(),
            core::ErrorCode::kNotFound);
  EXPECT_EQ(call("GET", "/v1/ack/{token}", {{"token", "AAAA.BBBB"}}).error().code(),
            core::ErrorCode::kNotFound);

  // Every route is in docs/openapi.json with its role, and every playbook path there is routed.
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  nlohmann::json doc = nlohmann::json::parse(in);
  std::set<std::pair<std::string, std::string>> routed;
  for (const auto& r : list) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern;
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const auto& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "playbook") << r.pattern;
    EXPECT_EQ(op["x-lifeline-min-role"], r.min_role == api::Role::kNone     ? "none"
                                         : r.min_role == api::Role::kViewer ? "viewer"
                                                                            : "operator")
        << r.method << " " << r.pattern;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "playbook") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

}  // namespace
}  // namespace lifeline::playbook
