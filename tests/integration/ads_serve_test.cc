// The ads guard inside the real `lifeline serve`: its config section checked at start-up with
// FILE:LINE: KEY errors, its routes under /v1/ads, and `lifeline ads` acting through serve's API
// against the emulated ad platforms (tests/fakes/ads_apis.py).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "config/config.h"
#include "core/temp_dir.h"
#include "integration/ads_fake.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/toggle_site.h"

namespace lifeline {
namespace {

using nlohmann::json;
using testing::AdsFake;
using ::testing::HasSubstr;
using testing::RunLifeline;
using namespace std::chrono_literals;

class AdsServe : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fake_.Start(&error)) << error;
    ASSERT_TRUE(fake_.Control(
        {{"platform", "meta"},
         {"account", "1001"},
         {"campaigns",
          {{{"id", "m1"}, {"name", "Black Friday"}, {"status", "active"}, {"budget", "50"}},
           {{"id", "m2"}, {"name", "Evergreen"}, {"status", "paused"}}}}}));
    setenv("LL_ADS_META_TOKEN", AdsFake::kMetaToken, 1);
  }

  // Every catalog platform off (nothing is probed, nothing leaves the machine), the ads guard
  // on the fake.
  std::string Config(const std::string& extra_account = "") {
    std::string y =
        "resolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\napi:\n  listen: 127.0.0.1:" +
        std::to_string(port_) + "\n  anonymous_role: operator\nplatforms:\n";
    auto catalog = config::LoadBundled();
    EXPECT_TRUE(catalog.ok());
    if (catalog.ok()) {
      for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
    }
    lines_before_ads_ = static_cast<int>(std::count(y.begin(), y.end(), '\n'));
    y += "ads:\n  accounts:\n    brand-meta:\n      type: meta\n      account: act_1001\n"
         "      currency: USD\n      token: { env: LL_ADS_META_TOKEN }\n      api_base: " +
         fake_.Base("meta") + "\n" + extra_account +
         "  policies:\n    meta: { domains: [meta], min_duration: 1m }\n";
    return dir_.Write("lifeline.yaml", y);
  }

  bool StartServe(const std::string& config) {
    std::string error;
    if (!serve_.Start(
            {LIFELINE_BINARY, "serve", "--config", config, "--data-dir", dir_.File("data")},
            dir_.File("serve.log"), &error)) {
      ADD_FAILURE() << error;
      return false;
    }
    return testing::WaitForTcpPort("127.0.0.1", port_);
  }

  std::string Server() const { return "http://127.0.0.1:" + std::to_string(port_); }

  AdsFake fake_;
  lifeline::testing::TempDir dir_{"lifeline-ads-serve"};
  std::uint16_t port_ = testing::FreePort();
  int lines_before_ads_ = 0;
  testing::Process serve_;
};

TEST_F(AdsServe, BadConfigStopsServeNamingFileLineAndKey) {
  const std::string config = Config(
      "    brand-tiktok:\n      type: tiktok\n      account: \"7001\"\n      currency: USD\n"
      "      token: { env: LL_ADS_META_TOKEN }\n      delivers_on: [tikt0k]\n");
  auto run = RunLifeline({"serve", "--config", config, "--data-dir", dir_.File("data")});
  EXPECT_EQ(run.code, 2) << run.out;
  // delivers_on is the 14th line of the ads: section.
  EXPECT_THAT(run.out, HasSubstr("lifeline.yaml:" + std::to_string(lines_before_ads_ + 14) +
                                 ": ads.accounts.brand-tiktok.delivers_on[0]: unknown platform "
                                 "'tikt0k' (did you mean 'tiktok'?)"));
}

TEST_F(AdsServe, ListPauseResumeThroughServe) {
  ASSERT_TRUE(StartServe(Config())) << testing::ReadFile(dir_.File("serve.log"));
  auto over = testing::HttpCall(port_, "GET", "/v1/ads");
  ASSERT_TRUE(over && over->status == 200);
  json o = json::parse(over->body);
  EXPECT_TRUE(o["configured"].get<bool>());
  EXPECT_EQ(o["accounts"][0]["name"], "brand-meta");

  auto list = RunLifeline({"ads", "list", "--server", Server()});
  EXPECT_EQ(list.code, 0) << list.out;
  EXPECT_THAT(list.out, HasSubstr("brand-meta (meta, delivers on facebook, instagram)"));
  EXPECT_THAT(list.out, HasSubstr("Black Friday"));

  // An unknown campaign: nothing changes, a clear error, exit 2.
  auto bad =
      RunLifeline({"ads", "pause", "m1", "m404", "--account", "brand-meta", "--server", Server()});
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("brand-meta has no campaign m404 (nothing was changed"));
  EXPECT_EQ(fake_.Count("pause"), 0);
  auto wrong = RunLifeline({"ads", "pause", "m1", "--account", "brand-mta", "--server", Server()});
  EXPECT_EQ(wrong.code, 2) << wrong.out;
  EXPECT_THAT(wrong.out, HasSubstr("did you mean 'brand-meta'?"));

  auto dry = RunLifeline(
      {"ads", "pause", "m1", "--account", "brand-meta", "--dry-run", "--server", Server()});
  EXPECT_EQ(dry.code, 0) << dry.out;
  EXPECT_THAT(dry.out, HasSubstr("brand-meta m1: would pause"));
  EXPECT_EQ(fake_.Count("pause"), 0);

  auto paused = RunLifeline(
      {"ads", "pause", "m1", "--account", "brand-meta", "--as", "ana", "--server", Server()});
  EXPECT_EQ(paused.code, 0) << paused.out;
  EXPECT_THAT(paused.out, HasSubstr("brand-meta m1: paused (was ACTIVE)"));
  EXPECT_EQ(fake_.StatusOf("meta", "m1"), "paused");

  auto status = RunLifeline({"ads", "status", "--all", "--json", "--server", Server()});
  EXPECT_EQ(status.code, 0) << status.out;
  json s = json::parse(status.out.substr(status.out.find('{')));
  ASSERT_EQ(s["changes"].size(), 1u);
  EXPECT_EQ(s["changes"][0]["by"], "ana");
  EXPECT_EQ(s["changes"][0]["prior"]["status"], "ACTIVE");
  EXPECT_EQ(s["changes"][0]["prior"]["budget"], "50");

  auto resumed = RunLifeline(
      {"ads", "resume", "m1", "--account", "brand-meta", "--as", "ana", "--server", Server()});
  EXPECT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_EQ(fake_.StatusOf("meta", "m1"), "active");
  // Every call is in the call log, without the token.
  auto calls = testing::HttpCall(port_, "GET", "/v1/ads/calls");
  ASSERT_TRUE(calls && calls->status == 200);
  EXPECT_THAT(calls->body, HasSubstr("/v21.0/m1"));
  EXPECT_THAT(calls->body, ::testing::Not(HasSubstr(AdsFake::kMetaToken)));

  // Budget transfers through serve: none yet; an unknown one is named; a bad body is refused.
  auto transfers = RunLifeline({"ads", "transfers", "--all", "--server", Server()});
  EXPECT_EQ(transfers.code, 0) << transfers.out;
  EXPECT_THAT(transfers.out, HasSubstr("No budget transfer yet"));
  auto unknown =
      RunLifeline({"ads", "transfer", "approve", "999", "--as", "ana", "--server", Server()});
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_THAT(unknown.out, HasSubstr("no budget transfer 999"));
  auto body = testing::HttpCall(port_, "POST", "/v1/ads/transfers/1/approve", R"({"who":"ana"})");
  ASSERT_TRUE(body);
  EXPECT_EQ(body->status, 400);
  EXPECT_THAT(body->body, HasSubstr("who"));
}

}  // namespace
}  // namespace lifeline
