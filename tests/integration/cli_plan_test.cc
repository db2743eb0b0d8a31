// `lifeline plan check` and `lifeline plan advise` as a user runs them, on the real binary: the
// shipped example passes clean, its advice cites Meta's 2021 outage; a broken plan exits 2 with
// every error and warning at FILE:LINE: key; a plan file goes with --config; --strict and --json.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"

namespace lifeline {
namespace {

using nlohmann::json;
using testing::ParseReport;
using testing::RunLifeline;
using testing::TempDir;

const std::string kExample = std::string(LIFELINE_SOURCE_DIR) + "/config/plan.example.yaml";

// The example's secrets, as an operator would export them (the channels are built, never used).
void SetSecrets() {
  setenv("LIFELINE_WA_TOKEN", "EAAexample-whatsapp-token", 1);
  setenv("LIFELINE_TG_TOKEN", "123456789:AAexample-telegram-bot-token", 1);
  setenv("LIFELINE_SMTP_PASSWORD", "example-password", 1);
  setenv("LIFELINE_TWILIO_TOKEN", "example-twilio-token", 1);
  setenv("LIFELINE_X_TOKEN", "example-x-user-token", 1);
}

// A team on WhatsApp and e-mail; the plan is appended by each test.
constexpr const char* kRelay = R"yaml(
channels:
  team-whatsapp: { type: whatsapp, token: { env: LIFELINE_WA_TOKEN }, phone_number_id: "106540352242922" }
  team-email: { type: email, host: 127.0.0.1, port: 2525, security: none, from: alerts@example.com }
contacts:
  ana: { name: Ana Lima, points: [ { channel: team-whatsapp, to: "+15550100001" } ] }
  bo: { name: Bo Chen, points: [ { channel: team-email, to: bo@example.com } ] }
templates:
  alert: { default: "{platform} is down since {time}" }
)yaml";

constexpr const char* kBrokenPlan = R"yaml(
plan:
  roles:
    community_manager:
    on_call:
  team:
    ana: { contact: ana, roles: [on_call] }
    bo: { contact: bo, roles: [comunity_manager] }
  inventory:
    instagram: { platform: instagram, audience: 1000, primary: true, backup: telegarm }
  responses:
    meta:
      trigger: { domains: [meta] }
      steps:
        - notify: { to: on_call, template: alert }
        - wait: 5m
)yaml";

int LineOf(const std::string& text, const std::string& needle) {
  auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

class CliPlanTest : public ::testing::Test {
 protected:
  void SetUp() override { SetSecrets(); }
  TempDir dir_;
};

TEST_F(CliPlanTest, TheShippedExamplePassesClean) {
  auto r = RunLifeline({"plan", "check", kExample});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("plan check: 0 errors, 0 warnings (5 roles, 7 people"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("on_call               Kai Tanaka, Ines Costa, Leo Martin  [on call]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("meta-outage"), std::string::npos) << r.out;

  auto j = RunLifeline({"plan", "check", kExample, "--json"});
  ASSERT_EQ(j.code, 0) << j.out;
  json report = ParseReport(j.out);
  EXPECT_EQ(report["errors"], 0);
  EXPECT_EQ(report["warnings"], 0);
  EXPECT_TRUE(report["findings"].empty());
}

TEST_F(CliPlanTest, TheShippedExamplesAdvice) {
  auto r = RunLifeline({"plan", "advise", kExample});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("IF THIS FAILS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("A Meta-wide outage, as on 4 Oct 2021, leaves 37% of your audience "
                       "reachable: add SMS or Bluesky."),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("ByteDance-wide outage, as on"), std::string::npos) << r.out;

  auto j = RunLifeline({"plan", "advise", kExample, "--json"});
  ASSERT_EQ(j.code, 0) << j.out;
  json a = ParseReport(j.out);
  EXPECT_EQ(a["total"], 361000);
  ASSERT_FALSE(a["domains"].empty());
  EXPECT_EQ(a["domains"][0]["id"], "meta");
  EXPECT_EQ(a["domains"][0]["reachable"], 134000);
  EXPECT_EQ(a["domains"][0]["cut_off"], json({"whatsapp", "instagram", "facebook"}));
  EXPECT_GE(a["domains"][0]["suggestions"].size(), 2u);
  EXPECT_FALSE(a["platforms"].empty());
}

TEST_F(CliPlanTest, ABrokenPlanExitsTwoWithEveryFindingAtItsLine) {
  const std::string text = std::string(kRelay) + kBrokenPlan;
  const std::string file = dir_.Write("broken.yaml", text);
  auto r = RunLifeline({"plan", "check", file});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(fmt::format("{}:{}: error: plan.team.bo.roles[0]: unknown role "
                                   "'comunity_manager' (did you mean 'community_manager'?)",
                                   file, LineOf(text, "roles: [comunity_manager]"))),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(fmt::format("{}:{}: error: plan.inventory.instagram.backup: unknown "
                                   "inventory channel 'telegarm'",
                                   file, LineOf(text, "backup: telegarm"))),
            std::string::npos)
      << r.out;
  // The issue's warning: the on-call is reachable only through WhatsApp, and the plan answers
  // Meta's outages.
  EXPECT_NE(r.out.find(fmt::format("{}:{}: warning: plan.roles.on_call: the on_call's alerts "
                                   "would travel through Meta, which this plan responds to",
                                   file, LineOf(text, "    on_call:"))),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("plan check: 2 errors"), std::string::npos) << r.out;

  auto j = RunLifeline({"plan", "check", file, "--json"});
  EXPECT_EQ(j.code, 2) << j.out;
  json report = ParseReport(j.out);
  EXPECT_EQ(report["errors"], 2);
  EXPECT_EQ(report["exit_code"], 2);
  bool found = false;
  for (const auto& f : report["findings"]) {
    if (f["key"] == "plan.team.bo.roles[0]") {
      found = true;
      EXPECT_EQ(f["level"], "error");
      EXPECT_EQ(f["line"], LineOf(text, "roles: [comunity_manager]"));
    }
  }
  EXPECT_TRUE(found) << j.out;
}

TEST_F(CliPlanTest, AMalformedPlanStopsAtItsFirstMistake) {
  std::string text = std::string(kRelay) + kBrokenPlan;
  text.replace(text.find("roles: [on_call]"), 16, "rols: [on_call]");
  const std::string file = dir_.Write("typo.yaml", text);
  auto r = RunLifeline({"plan", "check", file});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(fmt::format("lifeline plan check: {}:{}: plan.team.ana.rols: unknown key "
                                   "'rols' (did you mean 'roles'?)",
                                   file, LineOf(text, "rols: [on_call]"))),
            std::string::npos)
      << r.out;
}

TEST_F(CliPlanTest, APlanFileWithItsConfig) {
  const std::string config = dir_.Write("lifeline.yaml", kRelay);
  const std::string plan = dir_.Write("plan.yaml",
                                      "roles: { community_manager: , on_call: }\n"
                                      "team:\n"
                                      "  ana: { contact: ana, roles: [community_manager] }\n"
                                      "  bo: { contact: bo, roles: [on_call] }\n"
                                      "inventory:\n"
                                      "  instagram: { platform: instagram, audience: 10 }\n"
                                      "  news: { channel: team-email, audience: 10 }\n"
                                      "responses:\n"
                                      "  meta:\n"
                                      "    trigger: { domains: [meta] }\n"
                                      "    steps: [ { notify: { to: comunity_manager, template: "
                                      "alert } } ]\n");
  auto r = RunLifeline({"plan", "check", plan, "--config", config});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find(plan + ":11: error: responses.meta.steps[0].notify.to: unknown role or "
                              "person 'comunity_manager'"),
            std::string::npos)
      << r.out;
  // The same plan named by the config: errors still name the plan file.
  const std::string whole =
      dir_.Write("whole.yaml", std::string(kRelay) + "plan: { file: plan.yaml }\n");
  auto w = RunLifeline({"plan", "check", whole});
  EXPECT_EQ(w.code, 2) << w.out;
  EXPECT_NE(w.out.find(plan + ":11: error: responses.meta.steps[0].notify.to: "), std::string::npos)
      << w.out;
  // --config belongs to a plan file only.
  auto both = RunLifeline({"plan", "check", whole, "--config", config});
  EXPECT_EQ(both.code, 2) << both.out;
  EXPECT_NE(both.out.find("give --config only with a plan file"), std::string::npos) << both.out;
}

TEST_F(CliPlanTest, WarningsOnlyExitZeroUnlessStrict) {
  std::string text = std::string(kRelay) + kBrokenPlan;
  text.replace(text.find("roles: [comunity_manager]"), 25, "roles: [community_manager]");
  text.replace(text.find(", backup: telegarm"), 18, "");
  const std::string file = dir_.Write("warnings.yaml", text);
  auto r = RunLifeline({"plan", "check", file});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: plan.roles.on_call"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("plan check: 0 errors"), std::string::npos) << r.out;
  auto strict = RunLifeline({"plan", "check", file, "--strict"});
  EXPECT_EQ(strict.code, 1) << strict.out;
}

TEST_F(CliPlanTest, AMissingSecretIsNamed) {
  unsetenv("LIFELINE_X_TOKEN");
  auto r = RunLifeline({"plan", "check", kExample});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("environment variable LIFELINE_X_TOKEN is not set"), std::string::npos)
      << r.out;
}

}  // namespace
}  // namespace lifeline
