// The ads guard end to end on loopback: a real SQLite store, the process's timer scheduler and the
// emulated ad APIs (tests/fakes/ads_apis.py). Outage -> only the active campaigns on the failed
// platform are paused, each prior state recorded first -> someone touches a paused campaign by
// hand, another shows issues -> restoration -> after the settle time Lifeline resumes only what it
// paused and nobody touched. Restarts in the middle of a rate-limited pause and of a staggered
// resume pause nothing twice and resume nothing twice. Dry run, the plan's pause step, and bad
// input. Waits for states with deadlines; never a fixed sleep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "ads/config.h"
#include "ads/guard.h"
#include "ads/pause_step.h"
#include "config/config.h"
#include "core/temp_dir.h"
#include "integration/ads_fake.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline {
namespace {

using nlohmann::json;
using store::AdChangeState;
using testing::AdsFake;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 30s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

json Campaign(const std::string& id, const std::string& status) {
  return {{"id", id}, {"name", "Campaign " + id}, {"status", status}, {"budget", "40"}};
}

class AdsGuard : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
    auto catalog = config::LoadBundled();
    ASSERT_TRUE(catalog.ok());
    catalog_ = std::move(*catalog);
    auto opened = store::OpenSqlite(dir_.File("lifeline.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    store_ = std::move(*opened);
    ASSERT_TRUE(fake_.Control({{"platform", "meta"},
                               {"account", "1001"},
                               {"campaigns",
                                {Campaign("m1", "active"), Campaign("m2", "active"),
                                 Campaign("m3", "paused"), Campaign("m4", "active")}}}));
    ASSERT_TRUE(fake_.Control(
        {{"platform", "tiktok"}, {"account", "7001"}, {"campaigns", {Campaign("t1", "active")}}}));
    config_.configured = true;
    config_.accounts = {fake_.Account("meta", "brand-meta", "act_1001"),
                        fake_.Account("tiktok", "brand-tiktok", "7001")};
    ads::Policy meta;
    meta.name = "meta";
    meta.domains = {"meta"};
    meta.min_duration = 500ms;
    meta.settle = 2s;
    config_.policies = {meta};
  }

  void TearDown() override { StopGuard(); }

  void StartGuard() {
    timers::SchedulerOptions so;
    so.poll = 200ms;
    so.backoff_base = 200ms;
    so.backoff_max = 1s;
    scheduler_ = std::make_unique<timers::Scheduler>(&store_->Timers(), so);
    ads::GuardOptions go;
    go.min_backoff = 100ms;
    auto g = ads::Guard::Create(config_, catalog_, *store_, *scheduler_, go);
    ASSERT_TRUE(g.ok()) << g.error().message();
    guard_ = std::move(*g);
    ASSERT_TRUE(guard_->Start().ok());
    ASSERT_TRUE(scheduler_->Start().ok());
  }

  void StopGuard() {
    if (scheduler_) scheduler_->Stop();
    guard_.reset();
    scheduler_.reset();
  }

  // An Instagram outage (Meta's failure domain), opened now.
  std::string OpenOutage(const std::string& platform = "instagram", bool drill = false) {
    store::NewIncident ni;
    ni.domain = "meta";
    ni.platforms = {platform};
    ni.title = platform + " is down";
    ni.opened_at = store::FromSystem(Clock::now());
    ni.drill = drill;
    auto inc = store_->OpenIncident(ni);
    EXPECT_TRUE(inc.ok());
    if (!drill) guard_->OnIncident(Notice(*inc, core::IncidentNotice::Change::kOpened));
    return inc->id;
  }

  void CloseOutage(const std::string& id) {
    auto closed = store_->CloseIncident(id, {store::FromSystem(Clock::now()), "closed", "back"});
    ASSERT_TRUE(closed.ok());
    guard_->OnIncident(Notice(*closed, core::IncidentNotice::Change::kClosed));
  }

  static core::IncidentNotice Notice(const store::Incident& inc, core::IncidentNotice::Change c) {
    core::IncidentNotice n;
    n.change = c;
    n.incident_id = inc.id;
    n.domain = inc.domain;
    n.platforms = inc.platforms;
    n.verdict = inc.verdict;
    n.opened_at = inc.opened_at;
    n.at = c == core::IncidentNotice::Change::kClosed ? Clock::time_point(*inc.closed_at)
                                                      : Clock::time_point(inc.opened_at);
    return n;
  }

  std::vector<store::AdChange> Changes(const std::string& incident) {
    auto l = store_->Ads().List({.incident_id = incident});
    EXPECT_TRUE(l.ok());
    return l.ok() ? *l : std::vector<store::AdChange>{};
  }

  std::optional<store::AdChange> ChangeOf(const std::string& incident, const std::string& id) {
    for (auto& c : Changes(incident)) {
      if (c.campaign_id == id) return c;
    }
    return std::nullopt;
  }

  std::vector<std::string> EventTypes(const std::string& incident) {
    std::vector<std::string> out;
    auto ev = store_->ListEvents(incident, 0, 10000);
    if (ev.ok()) {
      for (const auto& e : *ev) out.push_back(e.type);
    }
    return out;
  }

  AdsFake fake_;
  lifeline::testing::TempDir dir_{"lifeline-ads"};
  config::Config catalog_;
  std::unique_ptr<store::Store> store_;
  ads::AdsConfig config_;
  std::unique_ptr<timers::Scheduler> scheduler_;
  std::unique_ptr<ads::Guard> guard_;
};

TEST_F(AdsGuard, OutagePausesOnlyActiveCampaignsAndResumesOnlyWhatItPaused) {
  StartGuard();
  // What the guard stores on the timeline is also pushed live, as stored (the dashboard's feed).
  std::mutex live_mu;
  std::vector<store::IncidentEvent> live;
  auto live_sub = guard_->Subscribe([&](const store::IncidentEvent& e) {
    std::lock_guard lock(live_mu);
    live.push_back(e);
  });
  const std::string inc = OpenOutage();
  ASSERT_TRUE(WaitFor([&] {
    return fake_.StatusOf("meta", "m1") == "paused" && fake_.StatusOf("meta", "m2") == "paused" &&
           fake_.StatusOf("meta", "m4") == "paused";
  })) << fake_.State().dump();
  // Only the active ones, only on Meta; each prior state recorded.
  EXPECT_EQ(fake_.Count("pause", "m3"), 0);
  EXPECT_EQ(fake_.StatusOf("tiktok", "t1"), "active");
  ASSERT_TRUE(WaitFor([&] { return Changes(inc).size() == 3u; }));
  for (const auto& c : Changes(inc)) {
    EXPECT_EQ(c.prior_status, "ACTIVE") << c.campaign_id;
    EXPECT_EQ(c.prior_budget_micros, 40000000) << c.campaign_id;
  }
  ASSERT_TRUE(WaitFor([&] {
    auto c = ChangeOf(inc, "m1");
    return c && c->state == AdChangeState::kPaused && !c->marker.empty();
  }));

  // During the outage: someone touches m2 in Ads Manager; m4 starts showing issues.
  ASSERT_TRUE(fake_.Control({{"platform", "meta"},
                             {"account", "1001"},
                             {"set",
                              {{{"id", "m2"}, {"status", "paused"}},
                               {{"id", "m4"}, {"issues", {"Payment method declined"}}}}}}));
  const auto closed_at = Clock::now();
  CloseOutage(inc);
  ASSERT_TRUE(WaitFor([&] { return fake_.StatusOf("meta", "m1") == "active"; }))
      << fake_.State().dump();
  // Not before the settle time.
  double resumed_at = 0;
  for (const auto& w : fake_.Writes()) {
    if (w.value("op", "") == "resume" && w.value("campaign", "") == "m1") resumed_at = w["at"];
  }
  const double closed_s = std::chrono::duration<double>(closed_at.time_since_epoch()).count();
  EXPECT_GE(resumed_at - closed_s, 1.9);
  ASSERT_TRUE(WaitFor([&] {
    auto m2 = ChangeOf(inc, "m2");
    auto m4 = ChangeOf(inc, "m4");
    return m2 && m4 && store::IsFinal(m2->state) && store::IsFinal(m4->state);
  }));
  auto m2 = ChangeOf(inc, "m2");
  EXPECT_EQ(m2->state, AdChangeState::kKept);
  EXPECT_THAT(m2->note, HasSubstr("changed by someone after Lifeline paused it"));
  auto m4 = ChangeOf(inc, "m4");
  EXPECT_EQ(m4->state, AdChangeState::kKept);
  EXPECT_THAT(m4->note, HasSubstr("Payment method declined"));
  EXPECT_EQ(fake_.StatusOf("meta", "m2"), "paused");
  EXPECT_EQ(fake_.StatusOf("meta", "m3"), "paused");
  EXPECT_EQ(fake_.StatusOf("meta", "m4"), "paused");
  EXPECT_EQ(fake_.Count("resume"), 1) << fake_.Writes().dump();
  // Every call on the timeline, and what happened to each campaign.
  const auto types = EventTypes(inc);
  EXPECT_THAT(types, ::testing::Contains("ads_pause_scheduled"));
  EXPECT_THAT(types, ::testing::Contains("ads_call"));
  EXPECT_THAT(types, ::testing::Contains("ads_paused"));
  EXPECT_THAT(types, ::testing::Contains("ads_resume_scheduled"));
  EXPECT_THAT(types, ::testing::Contains("ads_resumed"));
  {
    std::lock_guard lock(live_mu);
    std::vector<std::string> live_types;
    for (const auto& e : live) {
      EXPECT_EQ(e.incident_id, inc);
      EXPECT_GT(e.seq, 0) << "published once stored";
      live_types.push_back(e.type);
    }
    EXPECT_THAT(live_types, ::testing::Contains("ads_paused"));
    EXPECT_THAT(live_types, ::testing::Contains("ads_resumed"));
  }
  EXPECT_THAT(types, ::testing::Contains("ads_kept_paused"));
  auto calls = store_->Ads().ListCalls(inc, 0, 1000);
  ASSERT_TRUE(calls.ok());
  EXPECT_GE(calls->size(), 5u);
  for (const auto& c : *calls) EXPECT_THAT(c.path, ::testing::Not(HasSubstr("token")));
}

TEST_F(AdsGuard, AnIncidentShorterThanMinDurationPausesNothing) {
  config_.policies[0].min_duration = 2s;
  StartGuard();
  const std::string inc = OpenOutage();
  CloseOutage(inc);
  ASSERT_TRUE(WaitFor(
      [&] {
        const auto t = EventTypes(inc);
        return std::find(t.begin(), t.end(), "ads_pause_skipped") != t.end();
      },
      20s));
  EXPECT_EQ(fake_.Count("pause"), 0);
}

TEST_F(AdsGuard, RestartsNeitherPauseNorResumeTwice) {
  std::vector<json> many;
  for (int i = 0; i < 8; ++i) many.push_back(Campaign("r" + std::to_string(i), "active"));
  ASSERT_TRUE(fake_.Control({{"platform", "meta"},
                             {"account", "1001"},
                             {"campaigns", many},
                             {"rate", {{"calls", 3}, {"window", 1.5}}}}));
  config_.policies[0].min_duration = 0ms;
  config_.policies[0].settle = 500ms;
  config_.policies[0].stagger = 300ms;
  StartGuard();
  const std::string inc = OpenOutage();
  // Rate-limited: the pause goes on in steps. Restart in the middle.
  ASSERT_TRUE(WaitFor([&] { return fake_.Count("pause") >= 2; }));
  StopGuard();
  StartGuard();
  ASSERT_TRUE(WaitFor([&] { return fake_.Count("pause") == 11; }, 60s)) << fake_.Writes().dump();
  for (const char* id : {"m1", "m2", "m4", "r0", "r3", "r7"}) {
    EXPECT_EQ(fake_.Count("pause", id), 1) << id;
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& c : Changes(inc)) {
      if (c.state != AdChangeState::kPaused) return false;
    }
    return Changes(inc).size() == 11u;
  }));
  CloseOutage(inc);
  // Staggered resume: restart after the first ones came back.
  ASSERT_TRUE(WaitFor([&] { return fake_.Count("resume") >= 2; }, 60s));
  StopGuard();
  StartGuard();
  ASSERT_TRUE(WaitFor([&] { return fake_.Count("resume") == 11; }, 90s)) << fake_.Writes().dump();
  for (const char* id : {"m1", "m2", "m4", "r0", "r3", "r7"}) {
    EXPECT_EQ(fake_.Count("resume", id), 1) << id;
  }
  EXPECT_EQ(fake_.Count("pause", "m3"), 0);
  EXPECT_EQ(fake_.Count("resume", "m3"), 0);
}

TEST_F(AdsGuard, DryRunChangesNothingAndSaysWhatItWouldDo) {
  config_.dry_run = true;
  StartGuard();
  const std::string inc = OpenOutage();
  ASSERT_TRUE(WaitFor([&] { return Changes(inc).size() == 3u; }));
  for (const auto& c : Changes(inc)) EXPECT_EQ(c.state, AdChangeState::kDryRun);
  EXPECT_THAT(EventTypes(inc), ::testing::Contains("ads_dry_run"));
  EXPECT_EQ(fake_.Count("pause"), 0);
}

TEST_F(AdsGuard, ThePlansPauseStepPausesAndADrillOnlyShows) {
  config_.policies.clear();  // only the plan acts
  StartGuard();
  ads::PauseStepHandler handler(*guard_, *store_);
  playbook::Step step;
  step.id = "pause-ads";
  step.body = playbook::PauseStep{.ads = true, .scheduled_posts = false};
  auto run = [&](const std::string& inc, const std::string& key) {
    playbook::StepRequest r;
    r.incident_id = inc;
    r.response = "meta-outage";
    r.step = &step;
    r.failure.platforms = {"whatsapp"};
    r.failure.domain = "meta";
    r.failure.domain_wide = true;
    r.key = key;
    r.now = Clock::now();
    return handler.Run(r);
  };
  const std::string drill = OpenOutage("whatsapp", /*drill=*/true);
  auto line = run(drill, "playbook/" + drill + "/meta-outage/pause-ads");
  ASSERT_TRUE(line.ok()) << line.error().message();
  EXPECT_THAT(*line, HasSubstr("dry run: would pause"));
  ASSERT_TRUE(WaitFor([&] { return Changes(drill).size() == 3u; }));
  EXPECT_EQ(fake_.Count("pause"), 0) << "a drill paused a real campaign";

  const std::string inc = OpenOutage("whatsapp");
  line = run(inc, "playbook/" + inc + "/meta-outage/pause-ads");
  ASSERT_TRUE(line.ok()) << line.error().message();
  EXPECT_THAT(*line, HasSubstr("pausing the active campaigns of brand-meta"));
  ASSERT_TRUE(WaitFor([&] { return fake_.Count("pause") == 3; }));
  // Run again (a retry, a restart): nothing twice.
  line = run(inc, "playbook/" + inc + "/meta-outage/pause-ads");
  ASSERT_TRUE(line.ok());
  ASSERT_TRUE(WaitFor([&] {
    const auto t = EventTypes(inc);
    return std::count(t.begin(), t.end(), "ads_pause_done") >= 1;
  }));
  EXPECT_EQ(fake_.Count("pause"), 3);
  EXPECT_EQ(fake_.StatusOf("tiktok", "t1"), "active");
}

// The budget of the receiving campaign as the fake has it ("130" for 130.00), "" when unknown.
std::string BudgetOf(AdsFake& fake, const std::string& platform, const std::string& id) {
  for (const auto& c : fake.State()) {
    if (c.value("platform", "") == platform && c.value("id", "") == id) {
      return c.value("budget", "");
    }
  }
  return "";
}

std::optional<store::AdTransfer> OnlyTransfer(store::Store& s, const std::string& incident) {
  auto l = s.Ads().ListTransfers({.incident_id = incident});
  if (!l.ok() || l->size() != 1) return std::nullopt;
  return l->front();
}

TEST_F(AdsGuard, AnApprovedTransferMovesTheUrgentBudgetWithinTheCapAndTakesBackWhatItAdded) {
  // Meta's m1 (40.00/day, in Meta's cents) is urgent: while it is paused its budget goes to the
  // Google campaign g1 (100.00/day, in micros), never above 130.00.
  ASSERT_TRUE(fake_.Control(
      {{"platform", "google"},
       {"account", "1234567890"},
       {"campaigns",
        {{{"id", "2001"}, {"name", "Search – Brand"}, {"status", "active"}, {"budget", "100"}}}}}));
  config_.accounts.push_back(fake_.Account("google", "brand-google", "123-456-7890"));
  ads::Transfer t;
  t.name = "keep-sale";
  t.from = "brand-meta";
  t.campaigns = {"m1", "m3"};  // m3 is paused already: not Lifeline's to move
  t.to = "brand-google";
  t.campaign = "2001";
  t.max_budget = ads::Money{"USD", 130'000'000};
  config_.transfers = {t};
  StartGuard();
  const std::string inc = OpenOutage();
  ASSERT_TRUE(WaitFor([&] {
    auto x = OnlyTransfer(*store_, inc);
    return x && x->state == store::AdTransferState::kProposed;
  }));
  auto proposed = *OnlyTransfer(*store_, inc);
  EXPECT_EQ(proposed.amount_micros, 40'000'000);
  EXPECT_THAT(proposed.campaigns, ::testing::ElementsAre("m1"));
  EXPECT_EQ(BudgetOf(fake_, "google", "2001"), "100") << "moved before anyone approved";
  EXPECT_THAT(EventTypes(inc), ::testing::Contains("ads_transfer_proposed"));

  auto approved = guard_->DecideTransfer(proposed.id, true, "ana", "");
  ASSERT_TRUE(approved.ok()) << approved.error().message();
  ASSERT_TRUE(WaitFor([&] { return BudgetOf(fake_, "google", "2001") == "130"; }))
      << fake_.State().dump();
  ASSERT_TRUE(WaitFor([&] {
    auto x = OnlyTransfer(*store_, inc);
    return x && x->state == store::AdTransferState::kMoved;
  }));
  auto moved = *OnlyTransfer(*store_, inc);
  EXPECT_EQ(moved.prior_budget_micros, 100'000'000);
  EXPECT_EQ(moved.set_budget_micros, 130'000'000);
  EXPECT_EQ(moved.decided_by, "ana");
  EXPECT_THAT(moved.note, HasSubstr("capped at the transfer's max_budget 130.00 USD"));
  // Decided once: a second approval is refused with the reason.
  auto again = guard_->DecideTransfer(proposed.id, true, "bob", "");
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.error().message(), HasSubstr("is moved"));

  // Someone raises g1 by hand during the outage: their change is kept, only the 30.00 Lifeline
  // added is taken back, and not before the settle time.
  ASSERT_TRUE(fake_.Control({{"platform", "google"},
                             {"account", "1234567890"},
                             {"set", {{{"id", "2001"}, {"budget", "150"}}}}}));
  CloseOutage(inc);
  ASSERT_TRUE(WaitFor([&] {
    auto x = OnlyTransfer(*store_, inc);
    return x && x->state == store::AdTransferState::kReturned;
  }));
  EXPECT_EQ(BudgetOf(fake_, "google", "2001"), "120");
  auto back = *OnlyTransfer(*store_, inc);
  EXPECT_EQ(back.returned_budget_micros, 120'000'000);
  EXPECT_THAT(back.note, HasSubstr("someone set it to 150.00 USD meanwhile"));
  const auto types = EventTypes(inc);
  EXPECT_THAT(types, ::testing::Contains("ads_transfer_moved"));
  EXPECT_THAT(types, ::testing::Contains("ads_transfer_return_scheduled"));
  EXPECT_THAT(types, ::testing::Contains("ads_transfer_returned"));
  // Exactly two budget writes on Google: up, and back.
  EXPECT_EQ(fake_.Count("budget", "2001"), 2) << fake_.Writes().dump();
}

TEST_F(AdsGuard, ATransferConvertsBetweenPlatformsUnitsAndExpiresUnapprovedAfterTheOutage) {
  // TikTok (decimal currency) -> Meta (minor units): 50% of 40.00 = 20.00 -> 2000 cents more.
  ASSERT_TRUE(fake_.Control({{"platform", "meta"},
                             {"account", "1001"},
                             {"campaigns", {Campaign("m5", "active")}},
                             {"set", {{{"id", "m5"}, {"budget", "10.5"}}}}}));
  ads::Policy tiktok;
  tiktok.name = "tiktok";
  tiktok.platforms = {"tiktok"};
  tiktok.min_duration = 300ms;
  tiktok.settle = 1s;
  config_.policies = {tiktok};
  ads::Transfer t;
  t.name = "to-meta";
  t.from = "brand-tiktok";
  t.campaigns = {"t1"};
  t.to = "brand-meta";
  t.campaign = "m5";
  t.share_percent = 50;
  t.needs_approval = false;
  config_.transfers = {t};
  StartGuard();
  store::NewIncident ni;
  ni.domain = "bytedance";
  ni.platforms = {"tiktok"};
  ni.title = "TikTok is down";
  ni.opened_at = store::FromSystem(Clock::now());
  auto opened = store_->OpenIncident(ni);
  ASSERT_TRUE(opened.ok());
  guard_->OnIncident(Notice(*opened, core::IncidentNotice::Change::kOpened));
  ASSERT_TRUE(WaitFor([&] { return BudgetOf(fake_, "meta", "m5") == "30.5"; }))
      << fake_.State().dump();
  bool cents = false;
  for (const auto& r : fake_.Received()) {
    if (r.value("platform", "") == "meta" && r.value("method", "") == "POST" &&
        r.value("path", "").find("m5") != std::string::npos) {
      cents = cents || r.dump().find("3050") != std::string::npos;
    }
  }
  EXPECT_TRUE(cents) << "Meta's budget was not written in cents: " << fake_.Received().dump();
  ASSERT_TRUE(WaitFor([&] {
    auto x = OnlyTransfer(*store_, opened->id);
    return x && x->state == store::AdTransferState::kMoved;
  }));
  EXPECT_EQ(OnlyTransfer(*store_, opened->id)->decided_by, "config");
  CloseOutage(opened->id);
  ASSERT_TRUE(WaitFor([&] { return BudgetOf(fake_, "meta", "m5") == "10.5"; }))
      << fake_.State().dump();

  // A transfer that needs approval and never got it expires with the outage; nothing moves.
  StopGuard();
  config_.transfers[0].needs_approval = true;
  StartGuard();
  ni.opened_at = store::FromSystem(Clock::now());
  auto second = store_->OpenIncident(ni);
  ASSERT_TRUE(second.ok());
  guard_->OnIncident(Notice(*second, core::IncidentNotice::Change::kOpened));
  ASSERT_TRUE(WaitFor([&] {
    auto x = OnlyTransfer(*store_, second->id);
    return x && x->state == store::AdTransferState::kProposed;
  }));
  CloseOutage(second->id);
  ASSERT_TRUE(WaitFor([&] {
    auto x = OnlyTransfer(*store_, second->id);
    return x && x->state == store::AdTransferState::kExpired;
  }));
  EXPECT_EQ(fake_.Count("budget", "m5"), 2) << fake_.Writes().dump();
  auto late = guard_->DecideTransfer(OnlyTransfer(*store_, second->id)->id, true, "ana", "");
  ASSERT_FALSE(late.ok());
  EXPECT_THAT(late.error().message(), HasSubstr("only a proposed transfer"));
}

TEST_F(AdsGuard, ThePlansApprovalBeforeItsPauseStepApprovesTheTransfer) {
  ASSERT_TRUE(fake_.Control(
      {{"platform", "google"},
       {"account", "1234567890"},
       {"campaigns",
        {{{"id", "2001"}, {"name", "Search"}, {"status", "active"}, {"budget", "100"}}}}}));
  config_.accounts.push_back(fake_.Account("google", "brand-google", "123-456-7890"));
  config_.policies.clear();  // only the plan acts
  ads::Transfer t;
  t.name = "keep-sale";
  t.from = "brand-meta";
  t.campaigns = {"m1"};
  t.to = "brand-google";
  t.campaign = "2001";
  config_.transfers = {t};
  StartGuard();
  const std::string inc = OpenOutage("whatsapp");
  // The response asked the budget's owner first, and she approved.
  store::NewAssignment a;
  a.key = inc + "/meta-outage/approve-budget";
  a.incident_id = inc;
  a.response = "meta-outage";
  a.step_id = "approve-budget";
  a.kind = store::AssignmentKind::kApproval;
  a.title = "Move the Meta budget to Google";
  a.role = "budget_owner";
  a.created_at = store::FromSystem(Clock::now());
  auto created = store_->Playbook().CreateAssignment(a);
  ASSERT_TRUE(created.ok()) << created.error().message();
  auto approved =
      store_->Playbook().MoveAssignment({created->assignment.id, store::AssignmentState::kApproved,
                                         "maria", "", store::FromSystem(Clock::now())});
  ASSERT_TRUE(approved.ok()) << approved.error().message();

  ads::PauseStepHandler handler(*guard_, *store_);
  playbook::Step step;
  step.id = "pause-ads";
  step.body = playbook::PauseStep{.ads = true, .scheduled_posts = false};
  playbook::StepRequest r;
  r.incident_id = inc;
  r.response = "meta-outage";
  r.step = &step;
  r.failure.platforms = {"whatsapp"};
  r.failure.domain = "meta";
  r.failure.domain_wide = true;
  r.key = "playbook/" + inc + "/meta-outage/pause-ads";
  r.now = Clock::now();
  ASSERT_TRUE(handler.Run(r).ok());
  ASSERT_TRUE(WaitFor([&] { return BudgetOf(fake_, "google", "2001") == "140"; }))
      << fake_.State().dump();
  auto moved = OnlyTransfer(*store_, inc);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->decided_by, "maria");
  EXPECT_THAT(EventTypes(inc), ::testing::Not(::testing::Contains("ads_transfer_proposed")));
}

TEST_F(AdsGuard, ByHandWithClearErrorsForBadInput) {
  StartGuard();
  auto bad_account = guard_->PauseByHand("brand-meat", {"m1"}, "ana", false);
  ASSERT_FALSE(bad_account.ok());
  EXPECT_THAT(bad_account.error().message(),
              HasSubstr("no ad account 'brand-meat' (did you mean 'brand-meta'?)"));
  auto bad_campaign = guard_->PauseByHand("brand-meta", {"m1", "m99"}, "ana", false);
  ASSERT_FALSE(bad_campaign.ok());
  EXPECT_EQ(bad_campaign.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(bad_campaign.error().message(), HasSubstr("brand-meta has no campaign m99"));
  EXPECT_THAT(bad_campaign.error().message(), HasSubstr("nothing was changed"));
  EXPECT_EQ(fake_.Count("pause"), 0);

  auto dry = guard_->PauseByHand("brand-meta", {"m1"}, "ana", true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ((*dry)[0].outcome, "would pause");
  EXPECT_EQ(fake_.Count("pause"), 0);

  // A campaign Lifeline paused for an incident and a person then pauses by hand stays paused.
  const std::string inc = OpenOutage();
  ASSERT_TRUE(WaitFor([&] { return fake_.Count("pause") == 3; }));
  ASSERT_TRUE(WaitFor([&] {
    auto c = ChangeOf(inc, "m1");
    return c && c->state == AdChangeState::kPaused;
  }));
  auto held = guard_->PauseByHand("brand-meta", {"m1"}, "ana", false);
  ASSERT_TRUE(held.ok()) << held.error().message();
  EXPECT_EQ((*held)[0].outcome, "kept paused");
  auto resumed = guard_->ResumeByHand("brand-meta", {"m4"}, "bo", false);
  ASSERT_TRUE(resumed.ok());
  EXPECT_EQ((*resumed)[0].outcome, "resumed");
  CloseOutage(inc);
  ASSERT_TRUE(WaitFor([&] { return fake_.StatusOf("meta", "m2") == "active"; }));
  ASSERT_TRUE(WaitFor([&] {
    auto c = ChangeOf(inc, "m2");
    return c && c->state == AdChangeState::kResumed;
  }));
  EXPECT_EQ(fake_.StatusOf("meta", "m1"), "paused");
  EXPECT_EQ(ChangeOf(inc, "m1")->state, AdChangeState::kKept);
  EXPECT_THAT(ChangeOf(inc, "m1")->note, HasSubstr("paused by hand by ana"));
  EXPECT_EQ(ChangeOf(inc, "m4")->state, AdChangeState::kResumed);
  EXPECT_THAT(ChangeOf(inc, "m4")->note, HasSubstr("resumed by hand by bo"));
  EXPECT_EQ(fake_.Count("resume", "m4"), 1);
}

}  // namespace
}  // namespace lifeline
