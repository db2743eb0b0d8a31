// The recovery checks against the emulated ad APIs (tests/fakes/ads_apis.py) with a real SQLite
// store: an incident closed 7 hours ago, campaigns the ads guard paused and resumed on Meta,
// Google Ads and TikTok, their hourly figures read over real HTTP — a normal one is back to
// normal, a stalled one and a bursting one are flagged, one switched on with issues is resumed
// but not serving — every read is on the call log; and `lifeline recovery` through serve.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <string>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "config/config.h"
#include "core/temp_dir.h"
#include "integration/ads_fake.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "recovery/service.h"
#include "store/store.h"

namespace lifeline {
namespace {

using nlohmann::json;
using testing::AdsFake;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

json Campaign(const std::string& id, const std::string& status, const std::string& budget = "500",
              json issues = json::array()) {
  return {{"id", id},
          {"name", "Campaign " + id},
          {"status", status},
          {"budget", budget},
          {"issues", issues}};
}

// "2026-11-30T10" of a UTC time (the emulator's hours carry no time zone).
std::string HourLabel(Clock::time_point t) {
  return fmt::format("{:%Y-%m-%dT%H}", std::chrono::floor<std::chrono::hours>(t));
}

class Recovery : public ::testing::Test {
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
    ASSERT_TRUE(fake_.Control(
        {{"platform", "meta"},
         {"account", "1001"},
         {"campaigns",
          {Campaign("m1", "active"), Campaign("m2", "active", "500", {"Payment method failed"}),
           Campaign("m3", "active")}}}));
    ASSERT_TRUE(fake_.Control({{"platform", "google"},
                               {"account", "1234567890"},
                               {"campaigns", {Campaign("5001", "active")}}}));
    ASSERT_TRUE(fake_.Control({{"platform", "tiktok"},
                               {"account", "7001"},
                               {"campaigns", {Campaign("t1", "active", "150")}}}));
    config_.configured = true;
    config_.accounts = {fake_.Account("meta", "brand-meta", "act_1001"),
                        fake_.Account("google", "brand-google", "1234567890"),
                        fake_.Account("tiktok", "brand-tiktok", "7001")};
    // Google and TikTok deliver on Instagram too here, so one incident concerns all three.
    config_.accounts[1].platforms = {"instagram"};
    config_.accounts[2].platforms = {"instagram"};
  }

  // An Instagram outage from 9 to 7 hours ago (the window, 6 h, is over and final).
  std::string Incident() {
    store::NewIncident ni;
    ni.domain = "meta";
    ni.platforms = {"instagram"};
    ni.title = "Instagram is down";
    ni.opened_at = store::FromSystem(restored_ - 2h);
    auto inc = store_->OpenIncident(ni);
    EXPECT_TRUE(inc.ok());
    auto closed = store_->CloseIncident(inc->id, {store::FromSystem(restored_), "closed", "back"});
    EXPECT_TRUE(closed.ok());
    return inc->id;
  }

  // What the ads guard records when it paused a campaign and resumed it after the settle time.
  void Resumed(const std::string& incident, const std::string& account, const std::string& platform,
               const std::string& id) {
    store::AdChange c;
    c.incident_id = incident;
    c.account = account;
    c.platform = platform;
    c.campaign_id = id;
    c.campaign_name = "Campaign " + id;
    c.policy = "meta";
    c.prior_status = "ACTIVE";
    c.currency = "USD";
    c.state = store::AdChangeState::kResumed;
    c.paused_at = store::FromSystem(restored_ - 2h);
    c.resumed_at = store::FromSystem(restored_ + 10min);
    auto r = store_->Ads().Record(c);
    ASSERT_TRUE(r.ok()) << r.error().message();
  }

  AdsFake fake_;
  lifeline::testing::TempDir dir_{"lifeline-recovery"};
  config::Config catalog_;
  std::unique_ptr<store::Store> store_;
  ads::AdsConfig config_;
  const Clock::time_point restored_ = std::chrono::floor<std::chrono::hours>(Clock::now()) - 7h;
};

const json* Find(const json& list, const std::string& id) {
  for (const json& c : list["campaigns"]) {
    if (c["campaign_id"] == id) return &c;
  }
  return nullptr;
}

std::vector<std::string> Flags(const json& c) {
  std::vector<std::string> out;
  for (const json& f : c["flags"]) out.push_back(f["kind"].get<std::string>());
  return out;
}

TEST_F(Recovery, JudgesTheResumedCampaignsOnEachPlatformOverTheWindow) {
  const std::string inc = Incident();
  Resumed(inc, "brand-meta", "meta", "m1");
  Resumed(inc, "brand-meta", "meta", "m2");
  Resumed(inc, "brand-google", "google", "5001");
  Resumed(inc, "brand-tiktok", "tiktok", "t1");
  // m3 was not paused by Lifeline: not on this checklist.
  const std::string from = HourLabel(restored_ + 2h), to = HourLabel(restored_ + 6h);
  ASSERT_TRUE(fake_.Control(
      {{"hourly",
        {// Google's campaign delivers nothing from 2 hours after the restart.
         {{"platform", "google"}, {"campaign", "5001"}, {"from", from}, {"to", to}, {"omit", true}},
         // TikTok's spends six times its usual amount (about 5.00 an hour, 120 a day) at the same
         // price.
         {{"platform", "tiktok"},
          {"campaign", "t1"},
          {"from", from},
          {"to", to},
          {"factor", 6}}}}}));
  auto service = recovery::RecoveryService::Create(config_, catalog_, *store_, {});
  ASSERT_TRUE(service.ok()) << service.error().message();
  auto list = (*service)->Run(inc);
  ASSERT_TRUE(list.ok()) << list.error().message();
  const json j = recovery::ChecklistJson(*list);
  ASSERT_EQ(j["campaigns"].size(), 4u) << j.dump(2);
  EXPECT_EQ(j["status"], "attention");
  EXPECT_EQ(j["window"]["hours"], 6.0);
  EXPECT_EQ(j["conversions"]["judged"], false);
  EXPECT_TRUE(j["errors"].empty()) << j["errors"].dump();

  const json* m1 = Find(j, "m1");
  ASSERT_NE(m1, nullptr);
  EXPECT_EQ((*m1)["verdict"], "ok") << (*m1)["sentence"];
  EXPECT_EQ((*m1)["history_weeks"], 4);
  EXPECT_EQ((*m1)["judged_hours"], 5);  // the first hour was paused until 10 min past
  EXPECT_THAT((*m1)["sentence"].get<std::string>(), HasSubstr("Back to normal"));

  const json* m2 = Find(j, "m2");
  ASSERT_NE(m2, nullptr);
  EXPECT_EQ((*m2)["effective_status"], "WITH_ISSUES");
  EXPECT_THAT(Flags(*m2), ::testing::Contains("resumed_not_serving"));
  EXPECT_THAT((*m2)["sentence"].get<std::string>(), HasSubstr("Payment method failed"));

  const json* g = Find(j, "5001");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ((*g)["verdict"], "attention") << (*g)["sentence"];
  EXPECT_THAT(Flags(*g), ::testing::Contains("delivery_stuck")) << (*g)["sentence"];

  const json* t = Find(j, "t1");
  ASSERT_NE(t, nullptr);
  EXPECT_THAT(Flags(*t), ::testing::Contains("catch_up_burst")) << (*t)["sentence"];
  EXPECT_EQ((*t)["budget"]["overdelivery_allowance"], 0.25);
  EXPECT_GT((*t)["metrics"]["spend"]["high_hours"].get<int>(), 0);

  // Every figure was read from the platforms and is on the incident's call log.
  auto calls = store_->Ads().ListCalls(inc, 0, 1000);
  ASSERT_TRUE(calls.ok());
  int insights = 0;
  for (const auto& c : *calls) insights += c.op == "insights";
  EXPECT_EQ(insights, 4 * (1 + recovery::kWeeks));  // the window's days and 4 prior weeks'
  for (const auto& c : *calls) EXPECT_THAT(c.path, ::testing::Not(HasSubstr(AdsFake::kMetaToken)));
}

TEST_F(Recovery, WithNothingPausedItChecksTheActiveCampaignsOfTheFailedPlatform) {
  const std::string inc = Incident();
  auto service = recovery::RecoveryService::Create(config_, catalog_, *store_, {});
  ASSERT_TRUE(service.ok());
  auto list = (*service)->Run(inc);
  ASSERT_TRUE(list.ok()) << list.error().message();
  const json j = recovery::ChecklistJson(*list);
  // m1, m2, m3 (Meta), 5001 (Google), t1 (TikTok): every active campaign delivering on Instagram.
  EXPECT_EQ(j["campaigns"].size(), 5u) << j.dump(2);
  for (const json& c : j["campaigns"]) {
    EXPECT_EQ(c["source"], "active_on_failed_platform");
    if (c["campaign_id"] != "m2") {
      EXPECT_EQ(c["verdict"], "ok") << c["sentence"];
    }
  }
}

TEST_F(Recovery, CliThroughServeNamesAnUnknownIncident) {
  const std::uint16_t port = testing::FreePort();
  setenv("LL_ADS_META_TOKEN", AdsFake::kMetaToken, 1);
  std::string y =
      "resolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\napi:\n  listen: 127.0.0.1:" +
      std::to_string(port) + "\nplatforms:\n";
  for (const auto& p : catalog_.platforms) y += "  " + p.id + ": { enabled: false }\n";
  y += "ads:\n  accounts:\n    brand-meta:\n      type: meta\n      account: act_1001\n"
       "      currency: USD\n      token: { env: LL_ADS_META_TOKEN }\n      api_base: " +
       fake_.Base("meta") + "\n";
  const std::string config = dir_.Write("lifeline.yaml", y);
  testing::Process serve;
  std::string error;
  ASSERT_TRUE(
      serve.Start({LIFELINE_BINARY, "serve", "--config", config, "--data-dir", dir_.File("data")},
                  dir_.File("serve.log"), &error))
      << error;
  ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port))
      << testing::ReadFile(dir_.File("serve.log"));
  const std::string server = "http://127.0.0.1:" + std::to_string(port);
  auto run = testing::RunLifeline({"recovery", "inc_01NOSUCHINCIDENT", "--server", server});
  EXPECT_EQ(run.code, 2) << run.out;
  EXPECT_THAT(run.out, HasSubstr("inc_01NOSUCHINCIDENT"));
  auto http = testing::HttpCall(port, "GET", "/v1/recovery/inc_01NOSUCHINCIDENT");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 404);
  auto bad = testing::HttpCall(port, "GET", "/v1/recovery/x?fresh=perhaps");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

}  // namespace
}  // namespace lifeline
