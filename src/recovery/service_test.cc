// The recovery checklist of an incident with an in-memory ad platform and a real SQLite store:
// which campaigns are checked (those Lifeline paused, else the active ones on the failed
// platform), which hours (the window after restoration, in the account's time zone, only final
// ones), conversions never judged, the posts hook, and the route documented in docs/openapi.json.
#include "recovery/service.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include <date/tz.h>
#include <fmt/format.h>

#include "core/fake_clock.h"
#include "core/temp_dir.h"
#include "recovery/routes.h"

namespace lifeline::recovery {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using SysTime = std::chrono::system_clock::time_point;

// 2026-11-30 (a Monday) 10:00 UTC: the platform came back.
const SysTime kRestored = date::sys_days{date::year{2026} / 11 / 30} + 10h;

// One ad account in memory: hourly figures by local hour label, campaigns by id.
class MemoryPlatform final : public ads::AdPlatform {
 public:
  std::string_view kind() const override { return "meta"; }
  const std::string& account() const override { return id_; }
  std::size_t max_batch() const override { return 1; }
  ads::Outcome<std::vector<ads::Campaign>> ListCampaigns() override {
    ads::Outcome<std::vector<ads::Campaign>> o;
    o.value.emplace();
    for (const auto& [id, c] : campaigns) o.value->push_back(c);
    return o;
  }
  ads::Outcome<std::vector<ads::Campaign>> GetCampaigns(
      const std::vector<std::string>& ids) override {
    ads::Outcome<std::vector<ads::Campaign>> o;
    o.value.emplace();
    for (const auto& id : ids) {
      if (campaigns.count(id)) o.value->push_back(campaigns.at(id));
    }
    return o;
  }
  ads::Outcome<std::vector<ads::Change>> SetStatus(const std::vector<std::string>&, bool) override {
    return {};
  }
  ads::Outcome<ads::Campaign> SetBudget(const std::string&, const ads::Money&) override {
    return {};
  }
  ads::Outcome<std::vector<ads::HourlyInsight>> HourlyInsights(const std::string& id,
                                                               const std::string& since,
                                                               const std::string& until) override {
    ++insight_calls;
    ads::Outcome<std::vector<ads::HourlyInsight>> o;
    o.value.emplace();
    for (const auto& [hour, h] : hours) {
      const std::string day = hour.substr(0, 10);
      if (day < since || day > until) continue;
      ads::HourlyInsight x = h;
      x.campaign_id = id;
      o.value->push_back(x);
    }
    return o;
  }

  // A steady campaign: 1,000 impressions an hour at 4.00 CPM, every hour from `from` for `days`.
  void Steady(date::local_days from, int days) {
    for (int d = 0; d < days; ++d) {
      const date::year_month_day ymd{from + date::days(d)};
      for (int h = 0; h < 24; ++h) {
        const std::string label =
            fmt::format("{:04}-{:02}-{:02}T{:02}:00", static_cast<int>(ymd.year()),
                        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), h);
        const std::int64_t imp = 1000 + (d * 37 + h * 11) % 60;
        hours[label] = {"", label, ads::Money{"USD", imp * 4000}, imp, imp / 100, std::nullopt};
      }
    }
  }

  std::map<std::string, ads::Campaign> campaigns;
  std::map<std::string, ads::HourlyInsight> hours;
  int insight_calls = 0;

 private:
  std::string id_ = "act_1";
};

ads::Campaign Active(const std::string& id) {
  ads::Campaign c;
  c.id = id;
  c.name = "Campaign " + id;
  c.status = ads::CampaignStatus::kActive;
  c.raw_status = "ACTIVE";
  c.effective_status = "ACTIVE";
  c.budget_kind = ads::BudgetKind::kDaily;
  c.budget = ads::Money{"USD", 200'000'000};
  return c;
}

class RecoveryService : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenSqlite(dir_.File("l.db"));
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_ = std::move(*s);
    ads::AccountConfig a;
    a.name = "brand-meta";
    a.kind = "meta";
    a.account_id = "act_1";
    a.currency = "USD";
    a.platforms = {"facebook", "instagram"};
    ads_.configured = true;
    ads_.accounts = {a};
    core::Platform p;
    p.id = "instagram";
    p.name = "Instagram";
    p.domain = "meta";
    catalog_.platforms = {p};
  }

  std::string OpenAndClose(SysTime opened, SysTime closed) {
    store::NewIncident ni;
    ni.domain = "meta";
    ni.platforms = {"instagram"};
    ni.title = "Instagram is down";
    ni.opened_at = store::FromSystem(opened);
    auto inc = store_->OpenIncident(ni);
    EXPECT_TRUE(inc.ok());
    auto c = store_->CloseIncident(inc->id, {store::FromSystem(closed), "closed", "back"});
    EXPECT_TRUE(c.ok());
    return inc->id;
  }

  std::unique_ptr<recovery::RecoveryService> Make(RecoveryOptions o = {}) {
    o.clock = &clock_;
    auto p = std::make_unique<MemoryPlatform>();
    platform_ = p.get();
    std::map<std::string, std::unique_ptr<ads::AdPlatform>, std::less<>> clients;
    clients.emplace("brand-meta", std::move(p));
    return std::make_unique<recovery::RecoveryService>(ads_, catalog_, std::move(clients), *store_,
                                                       std::move(o));
  }

  lifeline::testing::TempDir dir_{"recovery-service"};
  std::unique_ptr<store::Store> store_;
  ads::AdsConfig ads_;
  config::Config catalog_;
  core::FakeClock clock_{kRestored + 7h};
  MemoryPlatform* platform_ = nullptr;
};

TEST_F(RecoveryService, ChecksWhatLifelinePausedOverTheWindowAndNeverJudgesConversions) {
  const std::string id = OpenAndClose(kRestored - 2h, kRestored);
  // Lifeline paused c1 and resumed it at 10:20; c2 (active too) was not touched: not checked.
  store::AdChange ch;
  ch.incident_id = id;
  ch.account = "brand-meta";
  ch.platform = "meta";
  ch.campaign_id = "c1";
  ch.campaign_name = "Winter sale";
  ch.policy = "meta";
  ch.state = store::AdChangeState::kResumed;
  ch.currency = "USD";
  ch.resumed_at = store::FromSystem(kRestored + 20min);
  ASSERT_TRUE(store_->Ads().Record(ch).ok());
  auto svc = Make();
  platform_->campaigns = {{"c1", Active("c1")}, {"c2", Active("c2")}};
  platform_->Steady(date::local_days{date::year{2026} / 10 / 30}, 32);
  // After the resume, c1 shows nothing from 13:00 on.
  for (int h = 13; h < 24; ++h) platform_->hours.erase(fmt::format("2026-11-30T{:02}:00", h));
  auto list = svc->Run(id);
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->campaigns.size(), 1u);
  const CampaignEntry& e = list->campaigns[0];
  EXPECT_EQ(e.campaign_id, "c1");
  EXPECT_EQ(e.source, "paused_by_lifeline");
  EXPECT_EQ(e.change_state, "resumed");
  // The window is 10:00-16:00 (the default 6 h); 10:00 was still paused: 11:00 to 15:00 judged.
  EXPECT_EQ(e.check.judged_hours, 5);
  EXPECT_EQ(e.check.pending_hours, 0);
  EXPECT_EQ(e.check.history_weeks, 4);
  EXPECT_EQ(e.check.verdict, Verdict::kAttention) << e.check.sentence;
  ASSERT_FALSE(e.check.flags.empty());
  EXPECT_EQ(e.check.flags[0].kind, FlagKind::kDeliveryStuck) << e.check.sentence;
  EXPECT_EQ(e.check.metrics[1].hours.front().hour, "2026-11-30T11:00");
  EXPECT_EQ(platform_->insight_calls, 1 + kWeeks);
  EXPECT_EQ(list->status, "attention");
  EXPECT_EQ(list->window_source, "default");

  const json j = ChecklistJson(*list);
  EXPECT_EQ(j["window"]["hours"], 6.0);
  EXPECT_EQ(j["window"]["from"], "2026-11-30T10:00:00Z");
  // Conversions are never judged, and say why.
  EXPECT_EQ(j["conversions"]["judged"], false);
  EXPECT_NE(j["conversions"]["note"].get<std::string>().find("attribution"), std::string::npos);
  const json& c = j["campaigns"][0];
  EXPECT_EQ(c["conversions"]["judged"], false);
  std::set<std::string> metrics;
  for (const auto& [name, m] : c["metrics"].items()) metrics.insert(name);
  EXPECT_EQ(metrics, (std::set<std::string>{"spend", "impressions", "clicks", "cpm"}));
  EXPECT_EQ(c["flags"][0]["kind"], "delivery_stuck");
  EXPECT_EQ(c["budget"]["overdelivery_allowance"], 0.75);
  EXPECT_EQ(c["metrics"]["impressions"]["hours"][2]["actual"], 0.0);
  EXPECT_EQ(c["metrics"]["impressions"]["hours"][2]["flag"], "low");
  // The posts are the calendar's: not judged here until it is wired.
  EXPECT_EQ(j["posts"]["judged"], false);
  // Every figure read is on the incident's call log.
  auto calls = store_->Ads().ListCalls(id, 0, 100);
  ASSERT_TRUE(calls.ok());
  EXPECT_TRUE(calls->empty());  // the in-memory platform makes no HTTP call
}

TEST_F(RecoveryService, WithoutChangesItChecksTheActiveCampaignsOfTheFailedPlatformsAccounts) {
  const std::string id = OpenAndClose(kRestored - 2h, kRestored);
  RecoveryOptions o;
  o.monitor_window = [](const store::Incident&) { return Duration(3h); };
  auto svc = Make(o);
  ads::Campaign paused = Active("c3");
  paused.status = ads::CampaignStatus::kPaused;
  platform_->campaigns = {{"c1", Active("c1")}, {"c2", Active("c2")}, {"c3", paused}};
  platform_->Steady(date::local_days{date::year{2026} / 10 / 30}, 32);
  auto list = svc->Run(id);
  ASSERT_TRUE(list.ok()) << list.error().message();
  ASSERT_EQ(list->campaigns.size(), 2u);
  for (const CampaignEntry& e : list->campaigns) {
    EXPECT_EQ(e.source, "active_on_failed_platform");
    EXPECT_EQ(e.check.verdict, Verdict::kOk) << e.check.sentence;
    EXPECT_EQ(e.check.judged_hours, 3);
    EXPECT_NE(e.check.sentence.find("Back to normal"), std::string::npos);
  }
  EXPECT_EQ(list->status, "ok");
  EXPECT_EQ(list->window_source, "plan");
  EXPECT_EQ(list->window, Duration(3h));
}

TEST_F(RecoveryService, HoursAreTheAccountsLocalHoursAndOnlyFinalOnesAreJudged) {
  const std::string id = OpenAndClose(kRestored - 2h, kRestored);
  RecoveryOptions o;
  o.time_zones = {{"brand-meta", "Europe/Madrid"}};  // UTC+1 in November
  auto svc = Make(o);
  platform_->campaigns = {{"c1", Active("c1")}};
  platform_->Steady(date::local_days{date::year{2026} / 10 / 30}, 32);
  clock_.Set(kRestored + 150min);  // 12:30 UTC: 10:00 and 11:00 UTC are final (30 min lag)
  auto list = svc->Run(id);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->campaigns.size(), 1u);
  const CampaignEntry& e = list->campaigns[0];
  EXPECT_EQ(e.time_zone, "Europe/Madrid");
  EXPECT_EQ(e.check.judged_hours, 2);
  EXPECT_EQ(e.check.pending_hours, 4);
  EXPECT_EQ(e.check.metrics[0].hours.front().hour, "2026-11-30T11:00");
  // The account's own config key says the same (ads.accounts.NAME.time_zone).
  ads_.accounts[0].time_zone = "Europe/Madrid";
  auto from_config = Make();
  platform_->campaigns = {{"c1", Active("c1")}};
  platform_->Steady(date::local_days{date::year{2026} / 10 / 30}, 32);
  auto same = from_config->Run(id);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->campaigns[0].time_zone, "Europe/Madrid");
  EXPECT_EQ(same->campaigns[0].check.metrics[0].hours.front().hour, "2026-11-30T11:00");
  // Nothing final yet: pending.
  clock_.Set(kRestored + 20min);
  list = svc->Run(id);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->campaigns[0].check.verdict, Verdict::kPending);
  EXPECT_EQ(list->status, "pending");
}

TEST_F(RecoveryService, AnOpenIncidentHasNoChecksYetAndAnUnknownOneIsNotFound) {
  store::NewIncident ni;
  ni.platforms = {"instagram"};
  ni.title = "Instagram is down";
  ni.opened_at = store::FromSystem(kRestored);
  auto inc = store_->OpenIncident(ni);
  ASSERT_TRUE(inc.ok());
  auto svc = Make();
  auto list = svc->Run(inc->id);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->status, "open");
  EXPECT_TRUE(list->campaigns.empty());
  auto missing = svc->Run("inc_nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), core::ErrorCode::kNotFound);
}

TEST_F(RecoveryService, ThePostsHookFillsItsSection) {
  const std::string id = OpenAndClose(kRestored - 2h, kRestored);
  RecoveryOptions o;
  o.posts = [](const store::Incident&) -> core::Result<PostsSection> {
    return PostsSection{true, json{{"due", 3}, {"missing", 1}}, true};
  };
  auto svc = Make(o);
  platform_->Steady(date::local_days{date::year{2026} / 10 / 30}, 32);
  auto list = svc->Run(id);
  ASSERT_TRUE(list.ok());
  const json j = ChecklistJson(*list);
  EXPECT_EQ(j["posts"]["judged"], true);
  EXPECT_EQ(j["posts"]["missing"], 1);
  EXPECT_EQ(j["posts"]["attention"], true);
}

TEST_F(RecoveryService, ABadTimeZoneOrAccountIsAnErrorAtCreation) {
  RecoveryOptions o;
  o.time_zones = {{"brand-meta", "Mars/Olympus"}};
  auto s = recovery::RecoveryService::Create(ads_, catalog_, *store_, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message().find("Mars/Olympus"), std::string::npos);
  o.time_zones = {{"nobody", "UTC"}};
  s = recovery::RecoveryService::Create(ads_, catalog_, *store_, o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("nobody"), std::string::npos);
}

TEST_F(RecoveryService, TheRouteAnswersTheChecklistAndIsDocumented) {
  const std::string id = OpenAndClose(kRestored - 2h, kRestored);
  auto svc = Make();
  platform_->campaigns = {{"c1", Active("c1")}};
  platform_->Steady(date::local_days{date::year{2026} / 10 / 30}, 32);
  RecoveryRoutes routes(*svc);
  auto all = routes.Routes();
  ASSERT_EQ(all.size(), 1u);
  api::PartRequest r;
  r.method = "GET";
  r.params = {{"incident", id}};
  auto got = all[0].handle(r);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body["incident_id"], id);
  EXPECT_EQ(got->body["campaigns"][0]["verdict"], "ok");
  // A second read within a minute is the same answer, without reading the platform again.
  const int calls = platform_->insight_calls;
  ASSERT_TRUE(all[0].handle(r).ok());
  EXPECT_EQ(platform_->insight_calls, calls);
  r.query = {{"fresh", "true"}};
  ASSERT_TRUE(all[0].handle(r).ok());
  EXPECT_GT(platform_->insight_calls, calls);
  r.query = {{"fresh", "maybe"}};
  EXPECT_EQ(all[0].handle(r).error().code(), core::ErrorCode::kInvalidArgument);
  r.query.clear();
  r.params = {{"incident", "inc_nope"}};
  EXPECT_EQ(all[0].handle(r).error().code(), core::ErrorCode::kNotFound);

  // docs/openapi.json documents exactly this part's routes, their role and query parameters.
  std::ifstream in(std::string(LIFELINE_SOURCE_DIR) + "/docs/openapi.json");
  json doc = json::parse(in);
  std::set<std::pair<std::string, std::string>> routed;
  for (const api::PartRoute& route : all) {
    std::string method = route.method;
    for (char& ch : method) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    routed.insert({route.pattern, method});
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << route.pattern << " is not documented";
    ASSERT_TRUE(doc["paths"][route.pattern].contains(method)) << route.pattern;
    const json& op = doc["paths"][route.pattern][method];
    EXPECT_EQ(op["x-lifeline-part"], "recovery");
    EXPECT_EQ(op["x-lifeline-min-role"], "viewer");
    std::set<std::string> documented;
    for (const json& p : op.value("parameters", json::array())) {
      if (p.value("in", "") == "query") documented.insert(p["name"].get<std::string>());
    }
    EXPECT_EQ(documented, std::set<std::string>(route.query.begin(), route.query.end()));
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (op.value("x-lifeline-part", "") != "recovery") continue;
      EXPECT_TRUE(routed.count({path, method})) << method << " " << path << " is not routed";
    }
  }
}

}  // namespace
}  // namespace lifeline::recovery
