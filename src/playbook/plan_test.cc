// Tests of reading the plan (plan.h): the whole model from YAML, stable step ids, FILE:LINE: key
// errors with "did you mean", a plan in its own file, and the model's lookups — working hours
// across daylight saving time and midnight, who a message reaches, triggers, what survives.
#include "playbook/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/temp_dir.h"
#include "playbook/test_util.h"

namespace lifeline::playbook {
namespace {

using testing::ErrorOf;
using testing::kPlan;
using testing::LineOf;
using testing::Read;
using testing::With;

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TimePoint Utc(int y, unsigned m, unsigned d, int h, int min) {
  return sys_days(std::chrono::year(y) / m / d) + hours(h) + minutes(min);
}

TEST(PlanRead, ReadsTheWholeModel) {
  auto r = Read(kPlan, true);
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const Plan& p = *r.plan;
  EXPECT_EQ(p.name, "Test plan");
  EXPECT_EQ(p.on_call, "on_call");
  ASSERT_EQ(p.roles.size(), 4u);
  EXPECT_EQ(p.roles[0].description, "Answers the audience");
  EXPECT_EQ(p.FindRole("superior")->description, "Approves budget moves");
  EXPECT_EQ(p.roles[0].source.at.ToString(),
            fmt::format("lifeline.yaml:{}: plan.roles.community_manager",
                        LineOf(kPlan, "community_manager: Answers")));

  ASSERT_EQ(p.team.size(), 3u);
  const Person& ana = p.team[0];
  EXPECT_EQ(ana.name, "Ana Lima");  // the contact's
  EXPECT_EQ(ana.contact, "ana");
  EXPECT_THAT(ana.roles, ElementsAre("community_manager"));
  ASSERT_TRUE(ana.hours.has_value());
  EXPECT_EQ(ana.hours->zone, "Europe/Lisbon");
  ASSERT_EQ(ana.hours->windows.size(), 1u);
  EXPECT_EQ(ana.hours->windows[0].days.size(), 5u);
  EXPECT_EQ(ana.hours->windows[0].from, 9h);
  EXPECT_EQ(ana.hours->windows[0].to, 18h);
  EXPECT_FALSE(p.team[1].hours.has_value());
  EXPECT_EQ(p.FindPerson("dee")->name, "Dee E.");

  ASSERT_EQ(p.inventory.size(), 4u);
  EXPECT_EQ(p.inventory[0].name, "Instagram");
  EXPECT_EQ(p.inventory[0].domain, "meta");
  EXPECT_TRUE(p.inventory[0].primary);
  EXPECT_EQ(p.inventory[0].backup, "telegram");
  EXPECT_EQ(p.inventory[0].audience, 60000u);
  const InventoryChannel* tg = p.FindInventory("telegram");
  EXPECT_EQ(tg->platform, "telegram");  // from its relay channel
  EXPECT_EQ(tg->domain, "telegram");
  EXPECT_EQ(tg->channel, "brand-telegram");
  EXPECT_EQ(p.FindInventory("newsletter")->platform, "");
  EXPECT_EQ(p.FindInventory("newsletter")->domain, "");

  const EscalationPolicy* pol = p.FindPolicy("standard");
  ASSERT_NE(pol, nullptr);
  EXPECT_EQ(pol->after, 10min);
  EXPECT_EQ(pol->repeat, 2);
  EXPECT_EQ(pol->Levels(), 4);
  EXPECT_EQ(pol->Level(0), (Target{Target::Kind::kRole, "comms_lead"}));
  EXPECT_EQ(pol->Level(3), (Target{Target::Kind::kRole, "superior"}));
  EXPECT_FALSE(pol->Level(4).has_value());
  const TimePoint t0 = Utc(2026, 3, 2, 10, 0);
  EXPECT_EQ(pol->DueAt(t0, 2), t0 + 20min);

  ASSERT_EQ(p.responses.size(), 1u);
  const Response& r0 = p.responses[0];
  EXPECT_EQ(r0.description, "Meta is down");
  EXPECT_THAT(r0.trigger.domains, ElementsAre("meta"));
  EXPECT_THAT(r0.trigger.verdicts,
              ElementsAre(core::Verdict::kOutage, core::Verdict::kRegionalOutage));
  EXPECT_EQ(r0.trigger.min_duration, 2min);
  EXPECT_EQ(r0.trigger.severity, Severity::kCritical);
  EXPECT_EQ(r0.escalation, "standard");
  ASSERT_EQ(r0.steps.size(), 6u);
  std::vector<std::string> ids;
  for (const Step& s : r0.steps) ids.push_back(s.id);
  EXPECT_THAT(ids,
              ElementsAre("notify-community_manager-comms_lead", "parallel", "approve-superior",
                          "task-answer-the-top-complaints", "move-conversations", "wait-10m"));
  EXPECT_EQ(r0.steps[0].kind(), StepKind::kNotify);
  const auto& notify = std::get<NotifyStep>(r0.steps[0].body);
  EXPECT_EQ(notify.message.template_name, "team-alert");
  EXPECT_EQ(notify.to.size(), 2u);
  const auto& group = std::get<ParallelStep>(r0.steps[1].body);
  ASSERT_EQ(group.steps.size(), 2u);
  EXPECT_EQ(group.steps[0].id, "post-holding");
  EXPECT_TRUE(std::get<PostStep>(group.steps[0].body).on.empty());  // surviving
  EXPECT_EQ(group.steps[1].id, "pause");
  EXPECT_NE(r0.FindStep("post-holding"), nullptr);
  const auto& approve = std::get<ApproveStep>(r0.steps[2].body);
  EXPECT_EQ(approve.role, "superior");
  EXPECT_EQ(approve.timeout, 15min);
  EXPECT_EQ(approve.on_timeout, ApproveStep::OnTimeout::kEscalate);
  EXPECT_EQ(std::get<TaskStep>(r0.steps[3].body).title, "Answer the top complaints!");
  EXPECT_EQ(std::get<MoveConversationsStep>(r0.steps[4].body).to, "");
  EXPECT_EQ(std::get<WaitStep>(r0.steps[5].body).duration, 10min);
  EXPECT_EQ(r0.steps[0].on_error.action, OnError::Action::kContinue);
  ASSERT_EQ(r0.after_restoration.checklist.size(), 1u);
  EXPECT_EQ(r0.after_restoration.checklist[0].id, "check-check-scheduled-posts-went-out");
  EXPECT_EQ(r0.after_restoration.monitor_window, 4h);
  EXPECT_EQ(r0.after_restoration.probe_interval, 30s);
  EXPECT_TRUE(p.warnings.empty()) << p.warnings.front().ToString();
}

TEST(PlanRead, DurationText) {
  EXPECT_EQ(DurationText(90s), "90s");
  EXPECT_EQ(DurationText(10min), "10m");
  EXPECT_EQ(DurationText(2h), "2h");
  EXPECT_EQ(DurationText(1500ms), "1500ms");
  EXPECT_EQ(DurationText(0ms), "0s");
}

TEST(PlanRead, StepIdsDoNotDependOnPosition) {
  auto before = Read(kPlan);
  auto after = Read(With("        - notify:", "        - wait: 1m\n        - notify:"));
  ASSERT_TRUE(before.plan.ok() && after.plan.ok());
  const Response& a = before.plan->responses[0];
  const Response& b = after.plan->responses[0];
  EXPECT_EQ(b.steps[0].id, "wait-1m");
  for (std::size_t i = 0; i < a.steps.size(); ++i) EXPECT_EQ(a.steps[i].id, b.steps[i + 1].id);
}

TEST(PlanRead, GivenIdsAreKeptAndRepeatsNumbered) {
  auto r = Read(With("        - wait: 10m",
                     "        - wait: 10m\n        - { id: wait-10m, wait: "
                     "1m }\n        - { id: cool-down, wait: 5m }"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const auto& steps = r.plan->responses[0].steps;
  EXPECT_EQ(steps[5].id, "wait-10m-2");  // the given id keeps its name
  EXPECT_FALSE(steps[5].id_given);
  EXPECT_EQ(steps[6].id, "wait-10m");
  EXPECT_TRUE(steps[6].id_given);
  EXPECT_EQ(steps[7].id, "cool-down");
}

TEST(PlanRead, AStepIdGivenTwiceIsAnError) {
  std::string yaml = With("        - wait: 10m",
                          "        - { id: twice, wait: 10m }\n        - { "
                          "id: twice, wait: 5m }");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr(fmt::format("lifeline.yaml:{}: plan.responses.meta-outage."
                                                   "steps[6].id: step id 'twice' is used twice",
                                                   LineOf(yaml, "id: twice, wait: 5m"))));
}

TEST(PlanRead, UnknownKeysSayWhereAndSuggest) {
  std::string yaml = With("roles: [community_manager]", "rols: [community_manager]");
  EXPECT_EQ(ErrorOf(yaml),
            fmt::format("lifeline.yaml:{}: plan.team.ana.rols: unknown key 'rols' (did you mean "
                        "'roles'?)",
                        LineOf(yaml, "rols:")));
  yaml = With("        - wait: 10m", "        - wiat: 10m");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr(fmt::format("lifeline.yaml:{}: plan.responses.meta-outage."
                                                   "steps[5].wiat: unknown key 'wiat' (did you "
                                                   "mean 'wait'?)",
                                                   LineOf(yaml, "wiat"))));
  yaml = With("  escalation:\n    standard", "  escalaton:\n    standard");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("plan.escalaton: unknown key 'escalaton' (did you mean "
                                       "'escalation'?)"));
  EXPECT_THAT(ErrorOf(With("audience: 60000", "audience: 60000\n      primry: true")),
              HasSubstr("plan.inventory.instagram.primry: unknown key 'primry' (did you mean "
                        "'primary'?)"));
}

TEST(PlanRead, ValuesAreChecked) {
  EXPECT_THAT(ErrorOf(With("wait: 10m", "wait: soon")), HasSubstr("steps[5].wait: "));
  EXPECT_THAT(ErrorOf(With("verdicts: [outage, regional_outage]", "verdicts: [outage, outtage]")),
              HasSubstr("plan.responses.meta-outage.trigger.verdicts[1]: unknown verdict "
                        "'outtage' (did you mean 'outage'?)"));
  EXPECT_THAT(ErrorOf(With("severity: critical", "severity: huge")),
              HasSubstr("unknown severity 'huge' (minor, major or critical)"));
  EXPECT_THAT(ErrorOf(With(", timeout: 15m", "")), HasSubstr("missing timeout:"));
  EXPECT_THAT(ErrorOf(With("zone: Europe/Lisbon", "zone: Europe/Lisbn")),
              HasSubstr("unknown time zone 'Europe/Lisbn' (did you mean 'Europe/Lisbon'?)"));
  EXPECT_THAT(ErrorOf(With("days: mon-fri", "days: mon-fry")),
              HasSubstr("plan.team.ana.hours.days: "));
  EXPECT_THAT(ErrorOf(With("from: \"09:00\", ", "")), HasSubstr("give both from: and to:"));
  EXPECT_THAT(ErrorOf(With("trigger: { domains: [meta], ", "trigger: { ")),
              HasSubstr("give platforms: [ID, ...] or domains: [DOMAIN, ...]"));
  EXPECT_THAT(
      ErrorOf(With("- notify: { to: [community_manager, comms_lead], template: team-alert }",
                   "- { notify: { to: comms_lead, text: hi }, wait: 1m }")),
      HasSubstr("one step does one thing: 'notify' and 'wait' are two steps"));
  EXPECT_THAT(ErrorOf(With("            - pause: [ads, scheduled_posts]\n", "")),
              HasSubstr("a parallel group needs two or more steps"));
  EXPECT_THAT(ErrorOf(With("pause: [ads, scheduled_posts]", "pause: [ads, budgets]")),
              HasSubstr("'budgets' cannot be paused (ads, scheduled_posts)"));
  EXPECT_THAT(ErrorOf(With("platform: instagram\n", "platform: instagram\n      domain: meta\n")),
              HasSubstr("the failure domain comes from the platform (instagram)"));
  EXPECT_THAT(ErrorOf(With("{ template: holding }", "{ template: holding, text: hi }")),
              HasSubstr("give either template: or text:, not both"));
  EXPECT_THAT(ErrorOf(With("window: 4h, probe_interval: 30s", "window: 4h, probe_interval: 1s")),
              HasSubstr("at least 5s"));
  EXPECT_THAT(ErrorOf(With("repeat: 2", "repeat: 20")), HasSubstr("out of range"));
  EXPECT_THAT(ErrorOf(With("after: 10m", "after: soon")),
              HasSubstr("plan.escalation.standard.after: "));
  EXPECT_THAT(
      ErrorOf(With("- move_conversations:", "- move_conversations: { on_restoration: home }")),
      HasSubstr("'home': expected stay (tell them the platform works again"));
}

TEST(PlanRead, MoveConversationsSaysWhatCustomersHearOnceThePlatformIsBack) {
  auto r = Read(With("- move_conversations:", "- move_conversations: { on_restoration: back }"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const Step* step = r.plan->responses[0].FindStep("move-conversations");
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(std::get<MoveConversationsStep>(step->body).on_restoration, "back");
  auto none = Read(With("- move_conversations:", "- move_conversations: { on_restoration: none }"));
  ASSERT_TRUE(none.plan.ok()) << none.plan.error().message();
  EXPECT_EQ(
      std::get<MoveConversationsStep>(none.plan->responses[0].FindStep("move-conversations")->body)
          .on_restoration,
      "");
}

TEST(PlanRead, AnEscalationUnderAMinuteIsReadForCheckToWarnAbout) {
  auto r = Read(With("after: 10m", "after: 5s"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const EscalationPolicy* pol = r.plan->FindPolicy("standard");
  ASSERT_NE(pol, nullptr);
  EXPECT_EQ(pol->after, 5s);
  EXPECT_EQ(pol->source.Of("after").key, "plan.escalation.standard.after");
}

TEST(PlanRead, OnErrorForms) {
  auto r = Read(With("        - wait: 10m",
                     "        - { task: { title: a, role: comms_lead }, on_error: stop }\n"
                     "        - { task: { title: b, role: comms_lead }, on_error: { retry: 4, "
                     "every: 1m, then: escalate, escalation: standard } }\n"
                     "        - { task: { title: c, role: comms_lead }, on_error: { escalate: "
                     "standard } }"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const auto& steps = r.plan->responses[0].steps;
  EXPECT_EQ(steps[5].on_error.action, OnError::Action::kStop);
  EXPECT_EQ(steps[6].on_error.action, OnError::Action::kRetry);
  EXPECT_EQ(steps[6].on_error.attempts, 4);
  EXPECT_EQ(steps[6].on_error.retry_every, 1min);
  EXPECT_EQ(steps[6].on_error.then, OnError::Action::kEscalate);
  EXPECT_EQ(steps[6].on_error.escalation, "standard");
  EXPECT_EQ(steps[7].on_error.action, OnError::Action::kEscalate);
  EXPECT_EQ(steps[7].on_error.escalation, "standard");
  EXPECT_THAT(ErrorOf(With("- wait: 10m", "- { wait: 10m, on_error: { retry: 3, then: retry } }")),
              HasSubstr("after the last attempt: continue, stop or escalate"));
  EXPECT_THAT(ErrorOf(With("- wait: 10m", "- { wait: 10m, on_error: contine }")),
              HasSubstr("unknown action 'contine' (did you mean 'continue'?)"));
}

TEST(PlanRead, NestedParallelIsRefused) {
  EXPECT_THAT(ErrorOf(With("            - pause: [ads, scheduled_posts]",
                           "            - parallel: [ { wait: 1m }, { wait: 2m } ]")),
              HasSubstr("a parallel group inside a parallel group"));
}

TEST(PlanRead, NoPlanIsNotFound) {
  auto r = Read("");
  ASSERT_FALSE(r.plan.ok());
  EXPECT_EQ(r.plan.error().code(), core::ErrorCode::kNotFound);
}

TEST(PlanRead, PlanInItsOwnFileNamesThatFile) {
  lifeline::testing::TempDir dir;
  std::string body = kPlan;
  // The plan file has the plan's keys at the top: drop "plan:" and two spaces of indentation.
  body = body.substr(body.find("plan:\n") + 6);
  std::string plan_file;
  for (std::size_t at = 0; at < body.size();) {
    auto nl = body.find('\n', at);
    std::string line = body.substr(at, nl - at);
    plan_file += (line.rfind("  ", 0) == 0 ? line.substr(2) : line) + "\n";
    at = nl == std::string::npos ? body.size() : nl + 1;
  }
  { std::ofstream(dir.path() + "/team-plan.yaml") << plan_file; }
  setenv("LIFELINE_TEST_FAKE_TOKEN", "t0ken", 1);
  auto w = testing::MakeWorld(std::string(testing::kRelay) + "plan: { file: team-plan.yaml }\n",
                              dir.path() + "/lifeline.yaml");
  ASSERT_TRUE(w.ok()) << w.error().message();
  auto plan = LoadPlan((*w)->config, (*w)->relay);
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  EXPECT_EQ(plan->team.size(), 3u);
  EXPECT_EQ(plan->team[0].source.at.file, dir.path() + "/team-plan.yaml");
  EXPECT_EQ(plan->team[0].source.at.key, "team.ana");

  // Errors name the plan file, its line and the key from its own top level.
  std::string broken = plan_file;
  broken.replace(broken.find("roles: [community_manager]"), 26, "rols: [community_manager]");
  { std::ofstream(dir.path() + "/team-plan.yaml") << broken; }
  const int line =
      1 + static_cast<int>(std::count(broken.begin(), broken.begin() + broken.find("rols:"), '\n'));
  auto bad = ReadPlan((*w)->config, (*w)->relay);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(),
              HasSubstr(fmt::format("{}/team-plan.yaml:{}: team.ana.rols: unknown key 'rols'",
                                    dir.path(), line)));

  // The same file given directly (as `lifeline plan check FILE --config C` does).
  PlanOptions direct;
  direct.file = dir.path() + "/team-plan.yaml";
  auto d = ReadPlan((*w)->config, (*w)->relay, direct);
  ASSERT_FALSE(d.ok());
  EXPECT_THAT(d.error().message(),
              HasSubstr(fmt::format("team-plan.yaml:{}: team.ana.rols", line)));

  // A missing file: the config's line that names it.
  auto w2 = testing::MakeWorld(std::string(testing::kRelay) + "plan: { file: nowhere.yaml }\n",
                               dir.path() + "/lifeline.yaml");
  ASSERT_TRUE(w2.ok());
  auto missing = ReadPlan((*w2)->config, (*w2)->relay);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message(), HasSubstr("lifeline.yaml:"));
  EXPECT_THAT(missing.error().message(), HasSubstr("plan.file: cannot read plan file"));
}

TEST(PlanRead, InvalidYamlInAPlanFileNamesLineAndColumn) {
  lifeline::testing::TempDir dir;
  { std::ofstream(dir.path() + "/p.yaml") << "roles:\n  a: [\n"; }
  setenv("LIFELINE_TEST_FAKE_TOKEN", "t0ken", 1);
  auto w = testing::MakeWorld(testing::kRelay);
  ASSERT_TRUE(w.ok());
  PlanOptions o;
  o.file = dir.path() + "/p.yaml";
  auto r = ReadPlan((*w)->config, (*w)->relay, o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("p.yaml:"));
  EXPECT_THAT(r.error().message(), HasSubstr("invalid YAML"));
}

// ---- working hours ----

WorkingHours Hours(std::string zone, std::vector<std::chrono::weekday> days, minutes from,
                   minutes to) {
  WorkingHours h;
  h.zone = std::move(zone);
  h.windows.push_back({std::move(days), from, to});
  return h;
}

const std::vector<std::chrono::weekday> kWeekdays = {std::chrono::Monday, std::chrono::Tuesday,
                                                     std::chrono::Wednesday, std::chrono::Thursday,
                                                     std::chrono::Friday};

TEST(WorkingHours, FollowTheLocalClockAcrossSeasons) {
  WorkingHours h = Hours("Europe/London", kWeekdays, 9h, 18h);
  // Monday 12 Jan 2026 (GMT = UTC).
  EXPECT_FALSE(h.At(Utc(2026, 1, 12, 8, 59)));
  EXPECT_TRUE(h.At(Utc(2026, 1, 12, 9, 0)));
  EXPECT_TRUE(h.At(Utc(2026, 1, 12, 17, 59)));
  EXPECT_FALSE(h.At(Utc(2026, 1, 12, 18, 0)));
  // Monday 13 Jul 2026 (BST = UTC+1): an hour earlier in UTC.
  EXPECT_TRUE(h.At(Utc(2026, 7, 13, 8, 0)));
  EXPECT_FALSE(h.At(Utc(2026, 7, 13, 7, 59)));
  EXPECT_FALSE(h.At(Utc(2026, 7, 13, 17, 0)));
  // Saturday: not a working day.
  EXPECT_FALSE(h.At(Utc(2026, 7, 11, 10, 0)));
}

TEST(WorkingHours, TheNightClocksGoForward) {
  // Sunday 29 Mar 2026, Europe/London: 01:00 GMT becomes 02:00 BST; 01:00-02:00 local never
  // happens, so a 01:00-03:00 window lasts one hour.
  WorkingHours h = Hours("Europe/London", {std::chrono::Sunday}, 1h, 3h);
  EXPECT_FALSE(h.At(Utc(2026, 3, 29, 0, 59)));  // 00:59 GMT
  EXPECT_TRUE(h.At(Utc(2026, 3, 29, 1, 0)));    // 02:00 BST
  EXPECT_TRUE(h.At(Utc(2026, 3, 29, 1, 59)));   // 02:59 BST
  EXPECT_FALSE(h.At(Utc(2026, 3, 29, 2, 0)));   // 03:00 BST
}

TEST(WorkingHours, TheNightClocksGoBack) {
  // Sunday 1 Nov 2026, America/New_York: 01:00-02:00 local happens twice (EDT, then EST), so a
  // 01:00-02:00 window lasts two hours: 05:00Z-07:00Z.
  WorkingHours h = Hours("America/New_York", {std::chrono::Sunday}, 1h, 2h);
  EXPECT_FALSE(h.At(Utc(2026, 11, 1, 4, 59)));
  EXPECT_TRUE(h.At(Utc(2026, 11, 1, 5, 0)));   // 01:00 EDT
  EXPECT_TRUE(h.At(Utc(2026, 11, 1, 6, 30)));  // 01:30 EST
  EXPECT_FALSE(h.At(Utc(2026, 11, 1, 7, 0)));  // 02:00 EST
}

TEST(WorkingHours, ANightShiftWrapsPastMidnight) {
  // Fridays 22:00 to Saturday 06:00, Tokyo (UTC+9, no daylight saving).
  WorkingHours h = Hours("Asia/Tokyo", {std::chrono::Friday}, 22h, 6h);
  EXPECT_TRUE(h.At(Utc(2026, 3, 6, 13, 30)));   // Fri 22:30 JST
  EXPECT_TRUE(h.At(Utc(2026, 3, 6, 20, 30)));   // Sat 05:30 JST
  EXPECT_FALSE(h.At(Utc(2026, 3, 6, 21, 0)));   // Sat 06:00 JST
  EXPECT_FALSE(h.At(Utc(2026, 3, 7, 13, 30)));  // Sat 22:30 JST: Saturday is not listed
  EXPECT_FALSE(h.At(Utc(2026, 3, 5, 20, 30)));  // Fri 05:30 JST: Thursday is not listed
}

TEST(WorkingHours, NextOpenAndLocalTextFollowTheZone) {
  WorkingHours h = Hours("Europe/Madrid", kWeekdays, 9h, 18h);
  // Friday 9 Jan 2026 19:00 Madrid (18:00Z): next open is Monday 12 Jan 09:00 Madrid (08:00Z).
  auto next = h.NextOpen(Utc(2026, 1, 9, 18, 0));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, Utc(2026, 1, 12, 8, 0));
  EXPECT_EQ(h.LocalText(*next), "Monday 09:00 (Europe/Madrid)");
  // Inside the hours: now (rounded up to the minute).
  EXPECT_EQ(h.NextOpen(Utc(2026, 1, 12, 10, 0)), Utc(2026, 1, 12, 10, 0));
  // Summer (CEST = UTC+2).
  EXPECT_EQ(h.NextOpen(Utc(2026, 7, 11, 12, 0)), Utc(2026, 7, 13, 7, 0));
  WorkingHours never = Hours("UTC", {}, 9h, 18h);
  EXPECT_FALSE(never.NextOpen(Utc(2026, 1, 9, 18, 0)).has_value());
}

TEST(WorkingHours, ReadFromYamlWithWindowsAndDayRanges) {
  auto r =
      Read(With("hours: { zone: Europe/Lisbon, days: mon-fri, from: \"09:00\", to: \"18:00\" "
                "}",
                "hours:\n        zone: UTC\n        windows:\n          - { days: fri-mon, "
                "from: \"22:00\", to: \"06:00\" }\n          - { days: [wed], from: "
                "\"12:00\", to: \"24:00\" }"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const Person& ana = r.plan->team[0];
  ASSERT_EQ(ana.hours->windows.size(), 2u);
  EXPECT_EQ(ana.hours->windows[0].days.size(), 4u);  // fri, sat, sun, mon
  EXPECT_EQ(ana.hours->windows[1].to, 24h);
  EXPECT_TRUE(ana.WorkingAt(Utc(2026, 3, 3, 3, 0)));              // Tue 03:00: Monday's night
  EXPECT_FALSE(ana.WorkingAt(Utc(2026, 3, 4, 3, 0)));             // Wed 03:00
  EXPECT_TRUE(ana.WorkingAt(Utc(2026, 3, 4, 23, 59)));            // Wed until midnight
  EXPECT_FALSE(ana.WorkingAt(Utc(2026, 3, 5, 0, 0)));             // Thu 00:00
  EXPECT_TRUE(r.plan->team[1].WorkingAt(Utc(2026, 3, 5, 0, 0)));  // no hours: always
}

// ---- who a message reaches ----

TEST(PlanReach, OffHoursGoesToOnCall) {
  auto r = Read(kPlan);
  ASSERT_TRUE(r.plan.ok());
  const Plan& p = *r.plan;
  const Target cm{Target::Kind::kRole, "community_manager"};
  // Monday 2 Mar 2026 10:00 in Lisbon (WET = UTC): Ana works.
  auto during = p.Reach(cm, Utc(2026, 3, 2, 10, 0));
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0]->id, "ana");
  // 03:00: Ana sleeps; the on-call role's holders (always working) are reached instead.
  auto night = p.Reach(cm, Utc(2026, 3, 2, 3, 0));
  ASSERT_EQ(night.size(), 2u);
  EXPECT_EQ(night[0]->id, "cy");
  EXPECT_EQ(night[1]->id, "dee");
  // A person named directly, off-hours: on call too.
  auto direct = p.Reach({Target::Kind::kPerson, "ana"}, Utc(2026, 3, 7, 12, 0));  // Saturday
  EXPECT_EQ(direct.size(), 2u);
  EXPECT_TRUE(p.Reach({Target::Kind::kRole, "nobody"}, Utc(2026, 3, 2, 3, 0)).empty());
}

TEST(PlanReach, NobodyOnCallWorkingReachesTheTargetAnyway) {
  auto r =
      Read(With("    cy: { contact: cy, roles: [comms_lead, on_call] }\n    dee: { contact: "
                "dee, roles: [superior, on_call], name: Dee E. }",
                "    cy: { contact: cy, roles: [comms_lead, superior, on_call], hours: { "
                "zone: UTC, from: \"09:00\", to: \"17:00\" } }"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  auto night = r.plan->Reach({Target::Kind::kRole, "community_manager"}, Utc(2026, 3, 2, 3, 0));
  ASSERT_EQ(night.size(), 1u);
  EXPECT_EQ(night[0]->id, "ana");
}

// ---- triggers and survivors ----

TEST(PlanTrigger, MatchesPlatformsDomainsAndVerdicts) {
  auto r = Read(With("    meta-outage:",
                     "    whatsapp-down:\n      trigger: { platforms: "
                     "[whatsapp] }\n      steps: [ { wait: 1m } ]\n    "
                     "meta-outage:"));
  ASSERT_TRUE(r.plan.ok()) << r.plan.error().message();
  const Plan& p = *r.plan;
  const Trigger& wa = p.FindResponse("whatsapp-down")->trigger;
  const Trigger& meta = p.FindResponse("meta-outage")->trigger;
  const Failure whatsapp{{"whatsapp"}, "meta", false, core::Verdict::kOutage};
  const Failure instagram{{"instagram"}, "meta", false, core::Verdict::kOutage};
  const Failure meta_wide{{"facebook", "instagram"}, "meta", true, core::Verdict::kOutage};
  const Failure telegram{{"telegram"}, "telegram", false, core::Verdict::kOutage};
  EXPECT_TRUE(wa.Matches(whatsapp, p.platform_domains));
  EXPECT_FALSE(wa.Matches(instagram, p.platform_domains));
  EXPECT_TRUE(wa.Matches(meta_wide, p.platform_domains));   // the whole domain failed
  EXPECT_TRUE(meta.Matches(whatsapp, p.platform_domains));  // one platform of the domain
  EXPECT_FALSE(meta.Matches(telegram, p.platform_domains));
  Failure degraded = whatsapp;
  degraded.verdict = core::Verdict::kDegraded;
  EXPECT_FALSE(meta.Matches(degraded, p.platform_domains));
  Failure regional = whatsapp;
  regional.verdict = core::Verdict::kRegionalOutage;
  EXPECT_TRUE(meta.Matches(regional, p.platform_domains));
  EXPECT_FALSE(wa.Matches(regional, p.platform_domains));  // default verdicts: outage only
  auto responding = p.Responding(whatsapp);
  ASSERT_EQ(responding.size(), 2u);
  EXPECT_EQ(responding[0]->name, "whatsapp-down");
  EXPECT_TRUE(p.Responding(telegram).empty());
}

TEST(PlanTrigger, SurvivingChannelsSkipTheFailure) {
  auto r = Read(kPlan);
  ASSERT_TRUE(r.plan.ok());
  const Plan& p = *r.plan;
  auto ids = [](const std::vector<const InventoryChannel*>& v) {
    std::vector<std::string> out;
    for (const auto* c : v) out.push_back(c->id);
    return out;
  };
  // instagram and whatsapp have no relay channel: never posted to.
  EXPECT_THAT(ids(p.Surviving({{}, "meta", true, core::Verdict::kOutage})),
              ElementsAre("telegram", "newsletter"));
  EXPECT_THAT(ids(p.Surviving({{"telegram"}, "telegram", false, core::Verdict::kOutage})),
              ElementsAre("newsletter"));
  EXPECT_TRUE(p.Fails(*p.FindInventory("whatsapp"), {{}, "meta", true, core::Verdict::kOutage}));
  EXPECT_FALSE(p.Fails(*p.FindInventory("whatsapp"),
                       {{"instagram"}, "meta", false, core::Verdict::kOutage}));
}

}  // namespace
}  // namespace lifeline::playbook
