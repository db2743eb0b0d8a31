// The content calendar inside the real `lifeline serve` on loopback: Telegram's site (a ToggleSite
// this test controls, probed from here and from two `lifeline agent` vantage points) starts
// failing -> an outage incident -> a post scheduled for the brand's Mastodon account
// (social_apis.py) and Telegram channel (chat_apis.py) goes out on Mastodon and is held for
// Telegram, never sent there -> the site heals, the incident closes -> the held post is released
// by policy and published on Telegram, each decision on the incident's timeline. `lifeline
// calendar` adds and lists through serve's API. Waits for states with deadlines; never a fixed
// sleep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "integration/support/chat_fakes.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/python_fake.h"
#include "integration/support/toggle_site.h"

namespace lifeline {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
using testing::ChatFakes;
using testing::HttpCall;
using testing::Process;
using testing::PythonFake;
using testing::RunLifeline;
using testing::TempDir;
using testing::ToggleSite;
using Clock = std::chrono::system_clock;

constexpr const char* kMastodonToken = "calendar-mastodon-token";

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

std::string Rfc3339(Clock::time_point t) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Every catalog platform off but `keep`.
std::string PlatformsOff(const std::string& keep) {
  std::string y = "platforms:\n";
  auto catalog = config::LoadBundled();
  EXPECT_TRUE(catalog.ok());
  if (catalog.ok()) {
    for (const auto& p : catalog->platforms) {
      if (p.id != keep) y += "  " + p.id + ": { enabled: false }\n";
    }
  }
  return y;
}

TEST(CalendarServe, BadCalendarConfigStopsServeNamingFileLineAndKey) {
  TempDir dir{"lifeline-calendar-bad"};
  setenv("LL_CAL_MASTODON_TOKEN", kMastodonToken, 1);
  std::string y =
      "resolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\napi:\n  listen: 127.0.0.1:" +
      std::to_string(testing::FreePort()) + "\n" + PlatformsOff("");
  y += "channels:\n  brand-mastodon: { type: mastodon, server: \"http://127.0.0.1:9\", "
       "access_token: { env: LL_CAL_MASTODON_TOKEN } }\n";
  const int before = static_cast<int>(std::count(y.begin(), y.end(), '\n'));
  y += "calendar:\n  posts:\n    launch:\n      text: We launch today\n"
       "      at: 2026-11-27T09:00:00Z\n      channels: [brand-mastodn]\n";
  const std::string config = dir.Write("lifeline.yaml", y);
  auto run = RunLifeline({"serve", "--config", config, "--data-dir", dir.File("data")});
  EXPECT_EQ(run.code, 2) << run.out;
  EXPECT_THAT(run.out, HasSubstr("lifeline.yaml:" + std::to_string(before + 6) +
                                 ": calendar.posts.launch.channels[0]: unknown channel "
                                 "'brand-mastodn' (did you mean 'brand-mastodon'?)"));
}

class CalendarEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.Start();
    std::string error;
    ASSERT_TRUE(chat_.Start(&error)) << error;
    ASSERT_TRUE(social_.Start("social_apis.py", {"--mastodon-token", kMastodonToken}, &error))
        << error;
    setenv("LL_CAL_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    setenv("LL_CAL_MASTODON_TOKEN", kMastodonToken, 1);

    // Two vantage points: with them, Telegram failing from everywhere is an `outage`.
    const std::string token_file = dir_.Write("agent.token", "calendar-agent-token\n");
    const std::string agent_cfg =
        dir_.Write("agent.yaml", "control:\n  - url: " + site_.Url("/control") +
                                     "\nresolvers: []\ntimeout: 1s\n"
                                     "agent:\n  allow_private: [127.0.0.0/8]\n");
    std::vector<std::uint16_t> agent_ports;
    for (const char* name : {"eu-west", "us-east"}) {
      const std::uint16_t port = testing::FreePort();
      auto& agent = agents_.emplace_back(std::make_unique<Process>());
      ASSERT_TRUE(agent->Start(
          {LIFELINE_BINARY, "agent", "--listen", "127.0.0.1:" + std::to_string(port),
           "--token-file", token_file, "--config", agent_cfg, "--name", name, "--insecure-http"},
          dir_.File(std::string(name) + ".log"), &error))
          << error;
      agent_ports.push_back(port);
    }
    for (std::uint16_t port : agent_ports) ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", port));

    api_port_ = testing::FreePort();
    const std::string config = dir_.Write("lifeline.yaml", Config(token_file, agent_ports));
    ASSERT_TRUE(serve_.Start(
        {LIFELINE_BINARY, "serve", "--config", config, "--data-dir", dir_.File("data")},
        dir_.File("serve.log"), &error))
        << error;
    ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", api_port_)) << ServeLog();
  }

  std::string ServeLog() const { return testing::ReadFile(dir_.File("serve.log")); }
  std::string Server() const { return "http://127.0.0.1:" + std::to_string(api_port_); }

  std::string Config(const std::string& token_file, const std::vector<std::uint16_t>& agents) {
    std::string y = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + site_.Url("/control") +
                    "\n    expect: { body_contains: [\"control is working\"] }\n"
                    "vantage_points:\n";
    const char* names[] = {"eu-west", "us-east"};
    const char* regions[] = {"eu", "us"};
    for (std::size_t i = 0; i < agents.size(); ++i) {
      y += std::string("  - { name: ") + names[i] + ", region: " + regions[i] +
           ", url: \"http://127.0.0.1:" + std::to_string(agents[i]) +
           "\", token_file: " + token_file + ", insecure_http: true }\n";
    }
    y +=
        "api:\n  listen: 127.0.0.1:" + std::to_string(api_port_) + "\n  anonymous_role: operator\n";
    y += "serve:\n  interval: 5s\n  close_after: 1\n";
    y += PlatformsOff("telegram");
    y += "  telegram:\n    dns: []\n    status_page: null\n    probes:\n"
         "      - { id: web, url: \"" +
         site_.Url("/telegram") +
         "\", expect: { status: [200], body_contains: [\"telegram is working\"] } }\n"
         "      - { id: bot_api, enabled: false }\n";
    y += "channels:\n"
         "  brand-telegram: { type: telegram, token: { env: LL_CAL_TG_TOKEN }, chat: "
         "\"@brandstatus\", api_base: \"" +
         chat_.Url() +
         "\" }\n"
         "  brand-mastodon: { type: mastodon, server: \"http://127.0.0.1:" +
         std::to_string(social_.port()) + "\", access_token: { env: LL_CAL_MASTODON_TOKEN } }\n";
    y += "relay:\n  poll: 200ms\n";
    y += "calendar:\n  release: { policy: next_free_slot, spacing: 30m }\n"
         "  platforms:\n    telegram: { policy: publish_now }\n  verify_after: 1s\n";
    return y;
  }

  std::optional<json> Get(const std::string& target) {
    auto r = HttpCall(api_port_, "GET", target);
    if (!r || r->status != 200) return std::nullopt;
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }

  std::string Verdict(const std::string& platform) {
    auto body = Get("/v1/platforms");
    if (!body) return "";
    for (const auto& p : (*body)["platforms"]) {
      if (p["platform"] == platform) return p["verdict"].get<std::string>();
    }
    return "";
  }

  // The incident that stops `channel` now, as the calendar sees it ("" when none).
  std::string HeldBy(const std::string& channel) {
    auto c = Get("/v1/calendar");
    if (!c) return "";
    for (const auto& ch : (*c)["channels"]) {
      if (ch["name"] == channel && ch["held_by"].is_object()) {
        return ch["held_by"]["incident_id"].get<std::string>();
      }
    }
    return "";
  }

  json Part(const std::string& post, const std::string& channel) {
    auto p = Get("/v1/calendar/posts/" + post);
    if (!p) return json::object();
    for (const auto& part : (*p)["post"]["parts"]) {
      if (part["channel"] == channel) return part;
    }
    return json::object();
  }
  std::string PartState(const std::string& post, const std::string& channel) {
    return Part(post, channel).value("state", "");
  }

  std::vector<json> TelegramTo(const std::string& chat) {
    std::vector<json> out;
    for (const auto& r : chat_.Received("telegram")) {
      if (r.value("answered", 0) == 200 && r["json"]["chat_id"].is_string() &&
          r["json"]["chat_id"] == chat) {
        out.push_back(r);
      }
    }
    return out;
  }
  json MastodonStatuses() {
    auto r = HttpCall(social_.port(), "GET", "/_received");
    if (!r || r->status != 200) return json::array();
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.contains("created")) return json::array();
    return j["created"].value("mastodon", json::array());
  }

  std::vector<json> Timeline(const std::string& incident, const std::string& type) {
    std::vector<json> out;
    auto e = Get("/v1/incidents/" + incident + "/events");
    if (!e) return out;
    for (const auto& ev : (*e)["events"]) {
      if (ev["type"] == type) out.push_back(ev);
    }
    return out;
  }

  TempDir dir_{"lifeline-calendar-e2e"};
  ToggleSite site_{"telegram"};
  ChatFakes chat_;
  PythonFake social_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::uint16_t api_port_ = 0;
  Process serve_;
};

TEST_F(CalendarEndToEnd, APostIsHeldOnTheFailedPlatformAndReleasedAfterRestoration) {
  ASSERT_TRUE(WaitFor([&] { return Verdict("telegram") == "up"; }, 30s))
      << "serve never saw Telegram up\n"
      << ServeLog();

  // ---- the outage: the relay's Telegram channel is stopped by the incident ----
  site_.SetHealthy(false);
  std::string incident;
  ASSERT_TRUE(WaitFor(
      [&] {
        incident = HeldBy("brand-telegram");
        return !incident.empty();
      },
      40s))
      << "no incident stopped brand-telegram\n"
      << ServeLog();
  EXPECT_EQ(HeldBy("brand-mastodon"), "") << "Mastodon is another platform";

  // ---- a post for both channels, due in a few seconds, added from the CLI ----
  const std::string at = Rfc3339(Clock::now() + 3s);
  auto add =
      RunLifeline({"calendar", "add", "--id", "launch", "--text", "Our winter collection is here",
                   "--media", "https://brand.example/winter.jpg", "--at", at, "--channels",
                   "brand-mastodon,brand-telegram", "--as", "ana", "--server", Server()});
  ASSERT_EQ(add.code, 0) << add.out;
  EXPECT_THAT(add.out, HasSubstr("launch"));
  auto late = RunLifeline({"calendar", "add", "--text", "x", "--at", "2020-01-01T00:00:00Z",
                           "--channels", "brand-mastodon", "--server", Server()});
  EXPECT_EQ(late.code, 2) << late.out;
  EXPECT_THAT(late.out, HasSubstr("at: 2020-01-01T00:00:00Z is in the past"));

  // Out on Mastodon as planned; held for Telegram, never sent there.
  ASSERT_TRUE(WaitFor([&] { return PartState("launch", "brand-mastodon") == "published"; }, 30s))
      << Get("/v1/calendar/posts/launch")->dump() << "\n"
      << ServeLog();
  ASSERT_EQ(PartState("launch", "brand-telegram"), "held");
  EXPECT_EQ(Part("launch", "brand-telegram")["held_by"], incident);
  json statuses = MastodonStatuses();
  ASSERT_EQ(statuses.size(), 1u) << statuses.dump();
  EXPECT_EQ(statuses[0]["text"], "Our winter collection is here\nhttps://brand.example/winter.jpg");
  EXPECT_EQ(Part("launch", "brand-mastodon")["remote_id"], statuses[0]["id"]);
  EXPECT_TRUE(TelegramTo("@brandstatus").empty());
  EXPECT_EQ(Timeline(incident, "calendar_held").size(), 1u);
  auto list = RunLifeline({"calendar", "list", "--state", "held", "--server", Server()});
  EXPECT_EQ(list.code, 0) << list.out;
  EXPECT_THAT(list.out, HasSubstr("launch"));
  EXPECT_THAT(list.out, HasSubstr("brand-telegram       held"));

  // ---- restoration: the incident closes and the held part goes out (policy publish_now) ----
  site_.SetHealthy(true);
  ASSERT_TRUE(WaitFor([&] { return PartState("launch", "brand-telegram") == "published"; }, 60s))
      << Get("/v1/calendar/posts/launch")->dump() << "\n"
      << ServeLog();
  ASSERT_EQ(TelegramTo("@brandstatus").size(), 1u);
  EXPECT_EQ(TelegramTo("@brandstatus")[0]["visible_text"],
            "Our winter collection is here\nhttps://brand.example/winter.jpg");
  EXPECT_EQ(MastodonStatuses().size(), 1u) << "nothing published twice";
  auto released = Timeline(incident, "calendar_released");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_THAT(released[0]["message"].get<std::string>(), HasSubstr("released: published now"));
  EXPECT_EQ(Timeline(incident, "calendar_published").size(), 1u);
  auto post = Get("/v1/calendar/posts/launch");
  ASSERT_TRUE(post);
  EXPECT_EQ((*post)["post"]["state"], "published");
  // Each publication is looked up on its platform afterwards: found on Mastodon.
  ASSERT_TRUE(
      WaitFor([&] { return Part("launch", "brand-mastodon")["verified"] == "present"; }, 30s))
      << Get("/v1/calendar/posts/launch")->dump();
}

TEST_F(CalendarEndToEnd, APostThePlatformSilentlyDroppedIsFlaggedAsMissing) {
  // Mastodon answers the next post as made, with an id, and never keeps it.
  auto dropped = HttpCall(social_.port(), "POST", "/_control",
                          json{{"api", "mastodon"}, {"drop", true}, {"count", 1}}.dump());
  ASSERT_TRUE(dropped && dropped->status == 200);
  auto add = RunLifeline({"calendar", "add", "--id", "quiet", "--text", "Doors open at 9", "--at",
                          Rfc3339(Clock::now() + 2s), "--channels", "brand-mastodon", "--server",
                          Server()});
  ASSERT_EQ(add.code, 0) << add.out;
  ASSERT_TRUE(WaitFor([&] { return PartState("quiet", "brand-mastodon") == "published"; }, 30s))
      << Get("/v1/calendar/posts/quiet")->dump() << "\n"
      << ServeLog();
  ASSERT_TRUE(
      WaitFor([&] { return Part("quiet", "brand-mastodon")["verified"] == "missing"; }, 30s))
      << Get("/v1/calendar/posts/quiet")->dump();
  EXPECT_THAT(Part("quiet", "brand-mastodon")["verify_note"].get<std::string>(),
              HasSubstr("not on the platform"));
  EXPECT_TRUE(MastodonStatuses().empty());
}

}  // namespace
}  // namespace lifeline
