// Drills: the dry run (the real engine on a simulated clock in a throw-away store) — ordering,
// escalation after the policy's `after`, --ack-after stopping it, channels riding the failed
// domain skipped, an unknown platform and a plan without a matching response refused — the
// plan's drill: section, and a real drill in-process through DrillService: [DRILL] team messages,
// audience posts only on the test audience, nothing in the real incidents' listings.
#include "playbook/drill.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <thread>

#include "channels/outbox.h"
#include "channels/router.h"
#include "core/temp_dir.h"
#include "playbook/drill_messenger.h"
#include "playbook/drill_report.h"
#include "playbook/drill_routes.h"
#include "playbook/drill_sim.h"
#include "playbook/test_util.h"

namespace lifeline::playbook {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// Wednesday 25 November 2026, 10:00 UTC: Ana (Lisbon, Mon-Fri 09:00-18:00) is working.
const TimePoint kT0 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 25} + 10h;

constexpr const char* kDrillPlan = R"yaml(
plan:
  name: Drill plan
  roles:
    community_manager:
    comms_lead:
    superior:
    on_call:
  team:
    ana: { contact: ana, roles: [community_manager] }
    bo: { contact: bo, roles: [community_manager] }
    cy: { contact: cy, roles: [comms_lead, on_call] }
    dee: { contact: dee, roles: [superior] }
  inventory:
    instagram: { platform: instagram, audience: 60000, primary: true, backup: telegram }
    telegram: { channel: brand-telegram, audience: 15000, link: "https://t.me/brand" }
    newsletter: { channel: brand-mail, audience: 25000, link: "https://brand.example/news" }
  escalation:
    standard: { after: 10m, to: [comms_lead, superior] }
  responses:
    whatsapp-down:
      trigger: { platforms: [whatsapp, instagram] }
      escalation: standard
      steps:
        - notify: { to: [ana], template: team-alert, escalation: standard }
        - post: { template: holding }
        - approve: { role: superior, what: Pause the ads, timeout: 15m, on_timeout: continue }
        - task: { title: Answer the complaints, role: comms_lead }
      after_restoration:
        monitor: { window: 1h }
)yaml";

struct Sim {
  std::unique_ptr<testing::World> world;
  core::Result<DrillReport> report = core::Error(core::ErrorCode::kInternal, "not run");
};

Sim DryRun(const std::string& plan, DryRunOptions o) {
  setenv("LIFELINE_TEST_FAKE_TOKEN", "t0ken", 1);
  Sim s;
  auto w = testing::MakeWorld(std::string(testing::kRelay) + plan);
  if (!w.ok()) {
    s.report = w.error();
    return s;
  }
  s.world = std::move(*w);
  o.kinds = testing::kTestKinds;
  if (!o.start) o.start = kT0;
  s.report = RunDryRun(s.world->config, o);
  return s;
}

// The timeline's entries as "+OFFSET message".
std::vector<std::string> Lines(const DrillReport& r) {
  std::vector<std::string> out;
  for (const store::IncidentEvent& e : r.incident.timeline) {
    auto d = std::chrono::duration_cast<Duration>(e.at - r.incident.incident.opened_at);
    out.push_back(DurationText(d) + " " + e.message);
  }
  return out;
}

std::string All(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

TEST(DrillDryRun, NobodyAcknowledgesSoTheAlertEscalatesAfterThePolicysAfter) {
  Sim s = DryRun(kDrillPlan, {.platform = "whatsapp"});
  ASSERT_TRUE(s.report.ok()) << s.report.error().message();
  const DrillReport& r = *s.report;
  EXPECT_TRUE(r.setup.dry_run);
  EXPECT_EQ(r.responses, std::vector<std::string>{"whatsapp-down"});
  EXPECT_EQ(r.lifecycle, "resolved");
  const std::string tl = All(Lines(r));
  // In order: the response, the alert, the post, the approval, then escalations on time.
  auto at = [&](std::string_view text) { return tl.find(text); };
  ASSERT_NE(at("Response whatsapp-down started"), std::string::npos) << tl;
  EXPECT_LT(at("Response whatsapp-down started"), at("Told Ana Lima"));
  EXPECT_LT(at("Told Ana Lima"), at("Posted on Telegram"));
  EXPECT_LT(at("Posted on Telegram"), at("Approval asked of superior"));
  EXPECT_NE(tl.find("10m Not acknowledged after 10 min: 'WhatsApp incident: the team alert"),
            std::string::npos)
      << tl;
  EXPECT_NE(tl.find("20m Not acknowledged after 20 min"), std::string::npos) << tl;
  EXPECT_NE(tl.find("30m Nobody acknowledged 'WhatsApp incident"), std::string::npos) << tl;
  EXPECT_NE(tl.find("30m Simulated: WhatsApp works again"), std::string::npos) << tl;
  EXPECT_NE(tl.find("90m Lifecycle: monitoring -> resolved"), std::string::npos) << tl;
  // The escalation asked Cy (comms_lead) 10 minutes in.
  ASSERT_FALSE(r.escalations.empty());
  EXPECT_EQ(r.escalations[0].level, 0);
  EXPECT_EQ(r.escalations[0].at - r.incident.incident.opened_at, 10min);
  EXPECT_THAT(r.escalations[0].people, Contains("Cy Diaz"));
  bool ana_silent = false;
  for (const AckRow& a : r.acknowledgements) {
    if (a.person == "ana" && a.kind == "notification") {
      ana_silent = a.outcome == "did not acknowledge" && !a.took;
    }
  }
  EXPECT_TRUE(ana_silent);
  // Nothing was sent: the report says so, message by message.
  ASSERT_FALSE(r.incident.messages.empty());
  const std::string md = DrillMarkdown(r);
  EXPECT_THAT(md, HasSubstr("# Drill (dry run): a WhatsApp outage"));
  EXPECT_THAT(md, HasSubstr("not sent (dry run)"));
  EXPECT_THAT(md, HasSubstr("| +10 min |"));
  EXPECT_EQ(DrillJson(r)["drill"]["dry_run"], true);
}

TEST(DrillDryRun, AcknowledgingAfterThreeMinutesStopsTheEscalation) {
  Sim s = DryRun(kDrillPlan, {.platform = "whatsapp", .ack_after = 3min});
  ASSERT_TRUE(s.report.ok()) << s.report.error().message();
  const DrillReport& r = *s.report;
  const std::string tl = All(Lines(r));
  EXPECT_NE(tl.find("3m Ana Lima acknowledged notification"), std::string::npos) << tl;
  EXPECT_EQ(tl.find("escalated to"), std::string::npos) << tl;
  EXPECT_NE(tl.find("Dee Evans approved 'Pause the ads'"), std::string::npos) << tl;
  bool found = false;
  for (const AckRow& a : r.acknowledgements) {
    if (a.person == "ana" && a.kind == "notification") {
      found = true;
      EXPECT_EQ(a.outcome, "acknowledged");
      ASSERT_TRUE(a.took);
      EXPECT_EQ(*a.took, 3min);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(r.everyone_acknowledged);
  EXPECT_THAT(DrillMarkdown(r), HasSubstr("| Ana Lima | "));
}

TEST(DrillDryRun, ApprovalSlowerThanItsTimeoutIsAFinding) {
  Sim s = DryRun(kDrillPlan, {.platform = "whatsapp", .ack_after = 20min});
  ASSERT_TRUE(s.report.ok()) << s.report.error().message();
  bool finding = false;
  for (const DrillFinding& f : s.report->findings) {
    if (f.text.find("Approval 'Pause the ads' (superior) was not given within its timeout of "
                    "15 min") != std::string::npos) {
      finding = f.level == DrillFinding::Level::kWarning;
    }
  }
  EXPECT_TRUE(finding) << DrillMarkdown(*s.report);
}

TEST(DrillDryRun, ADomainOutageSkipsTheChannelsRidingItAndFindsWhoCannotBeReached) {
  std::string plan = kDrillPlan;
  // Bo's contact points are WhatsApp and Instagram only: a Meta-wide outage silences Bo.
  plan.replace(plan.find("to: [ana], template"), 19, "to: [ana, bo], template");
  plan.replace(plan.find("platforms: [whatsapp, instagram]"), 32, "domains: [meta]");
  Sim s = DryRun(plan, {.platform = "whatsapp", .domain_wide = true, .ack_after = 1min});
  ASSERT_TRUE(s.report.ok()) << s.report.error().message();
  const DrillReport& r = *s.report;
  EXPECT_TRUE(r.setup.domain_wide);
  EXPECT_THAT(r.incident.incident.platforms, Contains("instagram"));
  // Ana's first contact point rides WhatsApp: the router sent it by e-mail, saying why; Bo's
  // message can only wait for Meta.
  bool ana = false, bo_waits = false;
  for (const report::MessageSummary& m : r.incident.messages) {
    if (m.contact == "ana") {
      ana = true;
      EXPECT_EQ(m.channel, "team-email");
      EXPECT_THAT(m.route, HasSubstr("team-whatsapp: circuit open"));
    } else if (m.contact == "bo") {
      bo_waits = m.route.find("every contact point's circuit is open") != std::string::npos;
    } else {
      EXPECT_NE(m.channel, "team-whatsapp");
      EXPECT_NE(m.channel, "team-instagram");
    }
  }
  EXPECT_TRUE(ana);
  EXPECT_TRUE(bo_waits);
  bool instagram_skipped = false;
  for (const SkippedChannel& c : r.skipped) {
    if (c.inventory == "instagram") instagram_skipped = c.why.find("rides the failure") == 0;
  }
  EXPECT_TRUE(instagram_skipped);
  bool bo = false;
  for (const DrillFinding& f : r.findings) {
    if (f.level == DrillFinding::Level::kProblem && f.text.find("Bo Chen") != std::string::npos) {
      bo = true;
    }
  }
  EXPECT_TRUE(bo) << DrillMarkdown(r);
  // The holding statement per surviving channel, as each would get it.
  std::vector<std::string> posted;
  for (const PostRow& p : r.posts) {
    posted.push_back(p.channel);
    if (p.channel == "brand-telegram") {
      EXPECT_THAT(p.text, HasSubstr("is down. Reach us on"));
    }
  }
  EXPECT_THAT(posted, Contains("brand-telegram"));
  EXPECT_THAT(posted, Contains("brand-mail"));
  EXPECT_THAT(DrillMarkdown(r), HasSubstr("Not on **Instagram**"));
}

TEST(DrillDryRun, AnUnknownPlatformIsRefusedWithASuggestion) {
  Sim s = DryRun(kDrillPlan, {.platform = "whatsap"});
  ASSERT_FALSE(s.report.ok());
  EXPECT_EQ(s.report.error().code(), core::ErrorCode::kNotFound);
  EXPECT_THAT(s.report.error().message(), HasSubstr("unknown platform 'whatsap'"));
  EXPECT_THAT(s.report.error().message(), HasSubstr("did you mean 'whatsapp'"));
}

TEST(DrillDryRun, APlatformNoResponseAnswersIsRefusedNamingTheTriggers) {
  Sim s = DryRun(kDrillPlan, {.platform = "telegram"});
  ASSERT_FALSE(s.report.ok());
  EXPECT_EQ(s.report.error().code(), core::ErrorCode::kFailedPrecondition);
  EXPECT_THAT(s.report.error().message(), HasSubstr("no response of the plan answers"));
  EXPECT_THAT(s.report.error().message(), HasSubstr("whatsapp-down (platforms whatsapp"));
}

TEST(DrillPlan, TheTestAudienceMustBeARelayChannelOutsideTheInventory) {
  auto ok = testing::Read(std::string(kDrillPlan) + "  drill: { audience: [team-sms] }\n", true);
  ASSERT_TRUE(ok.plan.ok()) << ok.plan.error().message();
  EXPECT_EQ(ok.plan->drill.audience, std::vector<std::string>{"team-sms"});
  auto unknown = testing::Read(std::string(kDrillPlan) + "  drill: { audience: [team-smss] }\n");
  ASSERT_FALSE(unknown.plan.ok());
  EXPECT_THAT(unknown.plan.error().message(),
              HasSubstr("drill.audience[0]: unknown relay channel 'team-smss' (did you mean "
                        "'team-sms'?)"));
  auto real = testing::Read(std::string(kDrillPlan) + "  drill: { audience: [brand-telegram] }\n");
  ASSERT_FALSE(real.plan.ok());
  EXPECT_THAT(real.plan.error().message(), HasSubstr("the real audience's (inventory telegram)"));
}

// ---- a real drill, in process ----

// The engine, scheduler, relay (never started: messages stay in the outbox, where this test reads
// them) and DrillService on a real SQLite store, as serve wires them.
struct Live {
  lifeline::testing::TempDir dir;
  std::unique_ptr<testing::World> world;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<channels::Relay> relay;
  std::unique_ptr<channels::Router> router;
  std::unique_ptr<Plan> plan;
  std::unique_ptr<RelayMessenger> inner;
  std::unique_ptr<DrillMessenger> messenger;
  std::unique_ptr<timers::Scheduler> scheduler;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<DrillService> drills;

  void Start(const std::string& plan_yaml) {
    setenv("LIFELINE_TEST_FAKE_TOKEN", "t0ken", 1);
    auto w = testing::MakeWorld(std::string(testing::kRelay) + plan_yaml);
    ASSERT_TRUE(w.ok()) << w.error().message();
    world = std::move(*w);
    auto p = LoadPlan(world->config, world->relay);
    ASSERT_TRUE(p.ok()) << p.error().message();
    plan = std::make_unique<Plan>(std::move(*p));
    auto st = store::OpenSqlite(dir.File("db.sqlite"));
    ASSERT_TRUE(st.ok()) << st.error().message();
    store = std::move(*st);
    channels::LoadOptions lo;
    lo.kinds = testing::kTestKinds;
    auto setup = channels::LoadRelaySetup(world->config, lo);
    ASSERT_TRUE(setup.ok());
    channels::RelayOptions ro;
    ro.platform_domains = setup->platform_domains;
    relay = std::make_unique<channels::Relay>(&store->Outbox(), std::move(setup->channels), ro);
    router = std::make_unique<channels::Router>(relay.get(), store.get(), setup->contacts,
                                                setup->templates);
    inner = std::make_unique<RelayMessenger>(*router);
    messenger = std::make_unique<DrillMessenger>(*inner, *relay, *router, *store, *plan);
    scheduler = std::make_unique<timers::Scheduler>(&store->Timers(), timers::SchedulerOptions{});
    engine = std::make_unique<Engine>(*plan, *store, *scheduler, *messenger, EngineOptions{});
    DrillOptions o;
    o.platform_names = {{"whatsapp", "WhatsApp"}};
    o.console_base = "http://127.0.0.1:8080/";
    drills = std::make_unique<DrillService>(*plan, *engine, *store, *scheduler, o);
    ASSERT_TRUE(drills->Register().ok());
    ASSERT_TRUE(engine->Start().ok());
    ASSERT_TRUE(scheduler->Start().ok());
  }
  ~Live() {
    if (scheduler) scheduler->Stop();
    if (engine) engine->Stop();
  }

  std::vector<store::OutboxMessage> Outbox(const std::string& incident) {
    store::MessageQuery q;
    q.incident_id = incident;
    q.limit = 1000;
    auto page = store->Outbox().List(q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->messages : std::vector<store::OutboxMessage>{};
  }
};

TEST(DrillService, ADrillMarksTeamMessagesAndPostsOnlyToTheTestAudience) {
  Live live;
  ASSERT_NO_FATAL_FAILURE(
      live.Start(std::string(kDrillPlan) + "  drill: { audience: [team-telegram] }\n"));
  auto inc = live.drills->Start({.platform = "whatsapp", .duration = 30min, .by = "test"});
  ASSERT_TRUE(inc.ok()) << inc.error().message();
  EXPECT_TRUE(inc->drill);
  EXPECT_EQ(live.drills->ConsoleUrl(inc->id), "http://127.0.0.1:8080/#/incident/" + inc->id);
  ASSERT_TRUE(live.engine->WaitIdle(10s));
  std::vector<store::OutboxMessage> msgs = live.Outbox(inc->id);
  ASSERT_FALSE(msgs.empty());
  bool ana = false, test_post = false;
  for (const store::OutboxMessage& m : msgs) {
    EXPECT_TRUE(m.text.starts_with("[DRILL] ")) << m.text;
    EXPECT_NE(m.channel, "brand-telegram");  // the real audience gets nothing
    EXPECT_NE(m.channel, "brand-mail");
    if (m.contact == "ana") {
      ana = true;
      // Ana's WhatsApp rides the drill's simulated outage, although no circuit opened.
      EXPECT_EQ(m.channel, "team-email");
      EXPECT_THAT(m.route, HasSubstr("team-whatsapp: rides the drill's simulated whatsapp"));
    }
    if (m.channel == "team-telegram" && m.contact.empty()) test_post = true;
  }
  EXPECT_TRUE(ana);
  EXPECT_TRUE(test_post);
  EXPECT_TRUE(live.relay->Accepting("team-whatsapp"));  // no circuit opened
  // Real listings never show it; the drill listing does.
  auto real = live.store->ListIncidents({});
  ASSERT_TRUE(real.ok());
  EXPECT_THAT(real->incidents, IsEmpty());
  auto list = live.drills->List(10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);

  // Ana acknowledges through the engine, as the API and the links do.
  auto open = live.store->Playbook().ListAssignments(
      {inc->id, store::AssignmentState::kOpen, store::AssignmentKind::kNotification, 10});
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->size(), 1u);
  ASSERT_TRUE(live.engine->Acknowledge(open->front().id, "ana").ok());
  auto ended = live.drills->End(inc->id, "test");
  ASSERT_TRUE(ended.ok()) << ended.error().message();
  EXPECT_EQ(live.drills->End(inc->id, "test").error().code(), core::ErrorCode::kFailedPrecondition);
  ASSERT_TRUE(live.engine->WaitIdle(10s));
  auto report = live.drills->Report(inc->id);
  ASSERT_TRUE(report.ok()) << report.error().message();
  bool acked = false;
  for (const AckRow& a : report->acknowledgements) {
    if (a.person == "ana" && a.outcome == "acknowledged") acked = a.took.has_value();
  }
  EXPECT_TRUE(acked);
  const std::string md = DrillMarkdown(*report);
  EXPECT_THAT(md, HasSubstr("# Drill report: a WhatsApp outage"));
  EXPECT_THAT(md, HasSubstr("posted on the test audience"));
  EXPECT_THAT(md, HasSubstr("| Ana Lima |"));
}

TEST(DrillService, WithoutATestAudienceNoPostIsSentAtAll) {
  Live live;
  ASSERT_NO_FATAL_FAILURE(live.Start(kDrillPlan));
  auto inc = live.drills->Start({.platform = "whatsapp", .by = "test"});
  ASSERT_TRUE(inc.ok()) << inc.error().message();
  ASSERT_TRUE(live.engine->WaitIdle(10s));
  for (const store::OutboxMessage& m : live.Outbox(inc->id)) {
    EXPECT_FALSE(m.contact.empty()) << "an audience post went to " << m.channel;
  }
  auto report = live.drills->Report(inc->id);
  ASSERT_TRUE(report.ok());
  bool skipped = false;
  for (const PostRow& p : report->posts) {
    if (p.channel == "brand-telegram") skipped = p.outcome.starts_with("not posted");
  }
  EXPECT_TRUE(skipped) << DrillMarkdown(*report);
  // A second drill on the same platform waits for the first to end.
  EXPECT_EQ(live.drills->Start({.platform = "whatsapp"}).error().code(),
            core::ErrorCode::kAlreadyExists);
  EXPECT_EQ(live.drills->Start({.platform = "whatsapp", .duration = 1s}).error().code(),
            core::ErrorCode::kInvalidArgument);
}

TEST(DrillRoutes, EveryRouteIsInTheOpenApiDocumentWithItsRole) {
  Live live;
  ASSERT_NO_FATAL_FAILURE(live.Start(kDrillPlan));
  DrillRoutes routes(*live.drills);
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  nlohmann::json doc = nlohmann::json::parse(in);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& r : routes.Routes()) {
    std::string method = r.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    routed.insert({r.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern;
    ASSERT_TRUE(doc["paths"][r.pattern].contains(method)) << r.method << " " << r.pattern;
    const auto& op = doc["paths"][r.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "drill") << r.pattern;
    EXPECT_EQ(op["x-lifeline-min-role"], r.min_role == api::Role::kViewer ? "viewer" : "operator")
        << r.method << " " << r.pattern;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "drill") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
  // Starting one through the route: 201 with the console URL; errors name what is wrong.
  auto start = [&](const std::string& body) -> core::Result<api::PartResponse> {
    for (const api::PartRoute& r : routes.Routes()) {
      if (r.method == "POST" && r.pattern == "/v1/drills") {
        api::PartRequest req;
        req.method = "POST";
        req.body = body;
        req.role = api::Role::kOperator;
        return r.handle(req);
      }
    }
    return core::MakeError(core::ErrorCode::kInternal, "no route");
  };
  auto ok = start(R"({"platform": "whatsapp", "duration": "15m", "by": "ana"})");
  ASSERT_TRUE(ok.ok()) << ok.error().message();
  EXPECT_EQ(ok->status, 201);
  EXPECT_THAT(ok->body["console_url"].get<std::string>(), HasSubstr("#/incident/inc_"));
  EXPECT_EQ(ok->body["state"], "running");
  EXPECT_EQ(start(R"({"platform": "nope"})").error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(start(R"({"platform": "whatsapp", "duration": "soon"})").error().code(),
            core::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace lifeline::playbook
