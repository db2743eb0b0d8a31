// `lifeline demo` and `lifeline serve` as a user runs them: the demo end to end through its HTTP
// API (WhatsApp turns to outage, an incident opens, WhatsApp comes back, the incident closes with
// its timeline), serve starting and stopping cleanly on SIGTERM, and a corrupt database refused
// with the store's message instead of any platform verdict.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "config/config.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"

namespace lifeline {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;
using namespace std::chrono_literals;
using testing::Process;
using testing::TempDir;

struct Reply {
  int status = 0;
  std::string body;
};

// One GET to 127.0.0.1:port; nullopt when nothing answers.
std::optional<Reply> Get(std::uint16_t port, const std::string& target) {
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::connection, "close");
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return Reply{static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<json> GetJson(std::uint16_t port, const std::string& target) {
  auto r = Get(port, target);
  if (!r || r->status != 200) return std::nullopt;
  json j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// The platform's entry in GET /v1/platforms, or null.
json PlatformView(std::uint16_t port, const std::string& platform) {
  auto body = GetJson(port, "/v1/platforms");
  if (!body) return nullptr;
  for (const auto& p : (*body)["platforms"]) {
    if (p["platform"] == platform) return p;
  }
  return nullptr;
}

std::string VerdictOf(std::uint16_t port, const std::string& platform) {
  json p = PlatformView(port, platform);
  return p.is_object() ? p["verdict"].get<std::string>() : "";
}

// Starts `lifeline demo` on 127.0.0.1:port at a 1 s interval with the given outage script
// (seconds), its data and log (demo.log) in `dir`.
void StartDemo(Process& demo, const TempDir& dir, std::uint16_t port, const std::string& after,
               const std::string& duration) {
  std::string error;
  ASSERT_TRUE(demo.Start(
      {LIFELINE_BINARY, "demo", "--listen", "127.0.0.1:" + std::to_string(port), "--interval", "1",
       "--outage-after", after, "--outage-for", duration, "--data-dir", dir.File("data")},
      dir.File("demo.log"), &error))
      << error;
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout,
             std::chrono::milliseconds poll = std::chrono::milliseconds(100)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(poll);
  }
  return pred();
}

TEST(ServeDemo, ScriptedOutageIsDetectedBecomesOneIncidentAndCloses) {
  TempDir dir;
  const auto port = testing::FreePort();
  Process demo;
  ASSERT_NO_FATAL_FAILURE(StartDemo(demo, dir, port, "4", "6"));
  const std::string log = dir.File("demo.log");
  ASSERT_TRUE(WaitFor([&] { return VerdictOf(port, "whatsapp") == "up"; }, 15s))
      << testing::ReadFile(log);
  EXPECT_EQ(VerdictOf(port, "facebook"), "up");
  EXPECT_NE(testing::ReadFile(log).find("open the dashboard at http://127.0.0.1:"),
            std::string::npos)
      << testing::ReadFile(log);

  // The outage starts when the demo says so; the API must show it within an interval or two.
  ASSERT_TRUE(WaitFor(
      [&] {
        return testing::ReadFile(log).find("WhatsApp starts failing now") != std::string::npos;
      },
      15s, 10ms))
      << testing::ReadFile(log);
  const auto failing_since = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return VerdictOf(port, "whatsapp") == "outage"; }, 10s, 20ms))
      << testing::ReadFile(log);
  std::printf(
      "[ detection ] demo: /v1/platforms showed whatsapp 'outage' %.2f s after the "
      "scripted failure began (interval 1 s; polled every 20 ms)\n",
      std::chrono::duration<double>(std::chrono::steady_clock::now() - failing_since).count());
  // The incident opens with the round that shows the outage when enough observers confirm it,
  // else with the confirmation round that follows at once: it may lag the verdict a moment.
  std::optional<json> open;
  ASSERT_TRUE(WaitFor(
      [&] {
        open = GetJson(port, "/v1/incidents?state=open");
        return open && !(*open)["incidents"].empty();
      },
      10s))
      << testing::ReadFile(log);
  ASSERT_EQ((*open)["incidents"].size(), 1u) << open->dump();
  EXPECT_EQ((*open)["incidents"][0]["platforms"], json::array({"whatsapp"}));

  ASSERT_TRUE(WaitFor([&] { return VerdictOf(port, "whatsapp") == "up"; }, 20s))
      << testing::ReadFile(log);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto closed = GetJson(port, "/v1/incidents?state=closed");
        return closed && (*closed)["incidents"].size() == 1;
      },
      15s))
      << testing::ReadFile(log);
  auto all = GetJson(port, "/v1/incidents");
  ASSERT_TRUE(all);
  ASSERT_EQ((*all)["incidents"].size(), 1u) << all->dump();
  const json inc = (*all)["incidents"][0];
  EXPECT_EQ(inc["state"], "closed");
  EXPECT_TRUE(inc["duration_s"].is_number());
  auto events = GetJson(port, "/v1/incidents/" + inc["id"].get<std::string>() + "/events");
  ASSERT_TRUE(events);
  std::vector<std::string> types;
  for (const auto& e : (*events)["events"]) types.push_back(e["type"].get<std::string>());
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "opened");
  EXPECT_EQ(types.back(), "closed");

  auto metrics = Get(port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("lifeline_scheduler_lateness_seconds_bucket"), std::string::npos);

  demo.Stop();
  EXPECT_EQ(demo.exit_status(), 0) << testing::ReadFile(log);
  EXPECT_NE(testing::ReadFile(log).find("lifeline demo: stopped"), std::string::npos);
}

// The relay in the demo: when the WhatsApp incident opens, the circuit of the team's WhatsApp
// channel opens with it, and the alerts to both contacts go by Telegram and e-mail without any
// attempt on WhatsApp; the route says why, on the message and on the incident's timeline.
TEST(ServeDemo, TheIncidentAlertFailsOverAroundWhatsAppWithoutTryingIt) {
  TempDir dir;
  const auto port = testing::FreePort();
  Process demo;
  ASSERT_NO_FATAL_FAILURE(StartDemo(demo, dir, port, "3", "30"));
  const std::string log = dir.File("demo.log");
  std::optional<json> delivered;
  ASSERT_TRUE(WaitFor(
      [&] {
        delivered = GetJson(port, "/v1/outbox?state=delivered");
        return delivered && (*delivered)["messages"].size() >= 2;
      },
      30s))
      << testing::ReadFile(log) << (delivered ? delivered->dump() : "");
  auto incidents = GetJson(port, "/v1/incidents?state=open");
  ASSERT_TRUE(incidents && (*incidents)["incidents"].size() == 1u);
  const std::string incident = (*incidents)["incidents"][0]["id"];
  std::set<std::string> channels;
  for (const auto& m : (*delivered)["messages"]) {
    channels.insert(m["channel"].get<std::string>());
    EXPECT_EQ(m["incident_id"], incident);
    EXPECT_NE(m["route"].get<std::string>().find("team-whatsapp: circuit open"), std::string::npos)
        << m.dump();
    // Not one attempt on WhatsApp: the relay knew from the incident.
    auto detail = GetJson(port, "/v1/outbox/" + m["id"].get<std::string>());
    ASSERT_TRUE(detail);
    int sending = 0;
    for (const auto& e : (*detail)["events"]) sending += e["type"] == "sending";
    EXPECT_EQ(sending, 1) << detail->dump();
  }
  EXPECT_EQ(channels, (std::set<std::string>{"team-telegram", "team-email"}));
  auto health = GetJson(port, "/v1/channels");
  ASSERT_TRUE(health);
  for (const auto& c : (*health)["channels"]) {
    // Every channel riding WhatsApp (the team's and the brand's updates), and only those.
    EXPECT_EQ(c["circuit"], c["platform"] == "whatsapp" ? "open" : "closed") << c.dump();
  }
  // The route is on the incident's timeline too.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto events = GetJson(port, "/v1/incidents/" + incident + "/events");
        if (!events) return false;
        int routes = 0;
        for (const auto& e : (*events)["events"]) routes += e["type"] == "relay_route";
        return routes >= 2;
      },
      10s));
  demo.Stop();
  EXPECT_EQ(demo.exit_status(), 0) << testing::ReadFile(log);
}

// A config for `lifeline serve` that watches one platform on loopback and disables the rest of
// the catalog, so no real host is ever contacted.
std::string ServeConfig(const TempDir& dir, const std::string& control_url,
                        const std::string& platform_url) {
  auto catalog = config::LoadBundled();
  EXPECT_TRUE(catalog.ok());
  std::string yaml = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: " + control_url +
                     "\nserve:\n  interval: 5s\n  data_dir: data\nplatforms:\n";
  for (const auto& p : catalog->platforms) {
    if (p.id == "x") continue;
    yaml += "  " + p.id + ": { enabled: false }\n";
  }
  yaml += "  x:\n    dns: []\n    probes:\n      - { id: web, url: \"" + platform_url +
          "\" }\n      - { id: api, enabled: false }\n";
  return dir.Write("lifeline.yaml", yaml);
}

// The demo's platforms carry simulated official status pages: all operational at first; the
// failing platform's page admits a major outage halfway through it (late, as real ones are), and
// the board shows that beside its own verdict, with the official incident.
TEST(ServeDemo, OfficialStatusPageAdmitsTheOutageLateAndIsShownBesideOurVerdict) {
  TempDir dir;
  const auto port = testing::FreePort();
  Process demo;
  ASSERT_NO_FATAL_FAILURE(StartDemo(demo, dir, port, "2", "24"));
  const std::string log = dir.File("demo.log");
  ASSERT_TRUE(WaitFor(
      [&] {
        json p = PlatformView(port, "whatsapp");
        return p.is_object() && p["status_page"].is_object() &&
               p["status_page"]["indicator"] == "none";
      },
      15s))
      << PlatformView(port, "whatsapp").dump() << testing::ReadFile(log);

  // Our verdict turns first; the official page follows 12 s into the outage (polled every 10 s).
  ASSERT_TRUE(WaitFor([&] { return VerdictOf(port, "whatsapp") == "outage"; }, 10s))
      << testing::ReadFile(log);
  EXPECT_EQ(PlatformView(port, "whatsapp")["status_page"]["indicator"], "none");
  ASSERT_TRUE(WaitFor(
      [&] { return PlatformView(port, "whatsapp")["status_page"]["indicator"] == "major"; }, 24s))
      << PlatformView(port, "whatsapp").dump() << testing::ReadFile(log);
  json view = PlatformView(port, "whatsapp");
  EXPECT_EQ(view["verdict"], "outage") << view.dump();
  EXPECT_EQ(view["status_page"]["incident"]["name"], "WhatsApp is unavailable") << view.dump();
  EXPECT_NE(testing::ReadFile(log).find("official status page now admits a major outage"),
            std::string::npos);
  // Only the failing platform's page says so.
  EXPECT_EQ(PlatformView(port, "facebook")["status_page"]["indicator"], "none");
}

// The demo's ad accounts and calendar: the plan's approval pauses the two active Meta campaigns
// (not the one paused since October), stands for the budget transfer's approval so the urgent
// campaign's daily budget moves to the TikTok campaign during the outage, and the calendar holds
// the WhatsApp part of the posts due during the outage; once WhatsApp is back the posts go out
// and, after the settle time, exactly those campaigns resume and the TikTok budget goes back to
// what it was, with a recovery checklist of the campaigns.
TEST(ServeDemo, TheOutagePausesTheDemoCampaignsAndHoldsPostsAndRestorationUndoesBoth) {
  TempDir dir;
  const auto port = testing::FreePort();
  Process demo;
  ASSERT_NO_FATAL_FAILURE(StartDemo(demo, dir, port, "2", "30"));
  const std::string server = "http://127.0.0.1:" + std::to_string(port);
  json approval;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto a = GetJson(port, "/v1/assignments?state=open&kind=approval");
        if (!a || (*a)["assignments"].empty()) return false;
        approval = (*a)["assignments"][0];
        return true;
      },
      60s, 200ms))
      << testing::ReadFile(dir.File("demo.log"));
  const std::string incident = approval["incident_id"];
  auto approved = testing::RunLifeline({"response", "approve", approval["id"].get<std::string>(),
                                        "--as", "kim", "--server", server});
  ASSERT_EQ(approved.code, 0) << approved.out;

  auto changes = [&](const std::string& state) {
    std::set<std::string> ids;
    auto c = GetJson(port, "/v1/ads/changes?incident=" + incident);
    if (!c) return ids;
    for (const json& x : (*c)["changes"]) {
      if (x["state"] == state) ids.insert(x["campaign_id"].get<std::string>());
    }
    return ids;
  };
  const std::set<std::string> active = {"120210000000001", "120210000000002"};
  ASSERT_TRUE(WaitFor([&] { return changes("paused") == active; }, 20s, 200ms))
      << testing::ReadFile(dir.File("demo.log"));
  auto status = testing::RunLifeline({"ads", "status", "--server", server});
  EXPECT_EQ(status.code, 0) << status.out;
  EXPECT_NE(status.out.find("120210000000001"), std::string::npos) << status.out;

  // The budget transfer: approved by the plan's approver, moved while the incident is open.
  auto transfer = [&] {
    auto t = GetJson(port, "/v1/ads/transfers?incident=" + incident);
    return t && (*t)["transfers"].size() == 1 ? (*t)["transfers"][0] : json();
  };
  auto tiktok_budget = [&] {
    auto c = GetJson(port, "/v1/ads/campaigns?platform=demo-tiktok");
    if (!c || (*c)["accounts"].empty() || (*c)["accounts"][0]["campaigns"].empty()) return json();
    return (*c)["accounts"][0]["campaigns"][0]["budget"];
  };
  ASSERT_TRUE(WaitFor([&] { return transfer().value("state", "") == "moved"; }, 20s, 200ms))
      << transfer().dump() << testing::ReadFile(dir.File("demo.log"));
  {
    const json t = transfer();
    EXPECT_EQ(t["from_account"], "demo-meta");
    EXPECT_EQ(t["campaigns"], json::array({"120210000000001"}));
    EXPECT_EQ(t["to_account"], "demo-tiktok");
    EXPECT_EQ(t["to_campaign"], "1800000000000001");
    EXPECT_EQ(t["amount"], "150");  // the urgent campaign's daily budget, all of it
    EXPECT_NE(t.value("decided_by", json("")).dump().find("kim"), std::string::npos) << t.dump();
    EXPECT_EQ(t["prior_budget"], "100");
    EXPECT_EQ(t["set_budget"], "250");
    EXPECT_TRUE(t["return_due"].is_null()) << "it goes back only after the outage: " << t.dump();
    auto inc = GetJson(port, "/v1/incidents/" + incident);
    ASSERT_TRUE(inc);
    EXPECT_EQ((*inc)["state"], "open") << "the transfer moved during the outage: " << t.dump();
    EXPECT_EQ(tiktok_budget(), "250") << "the TikTok campaign's budget as the platform answers";
  }

  // The calendar's posts due during the outage: out on Telegram, held on WhatsApp.
  auto part_state = [&](const std::string& post, const std::string& channel) {
    auto posts = GetJson(port, "/v1/calendar/posts");
    if (!posts) return std::string();
    for (const json& p : (*posts)["posts"]) {
      if (p["id"] != post) continue;
      for (const json& part : p["parts"]) {
        if (part["channel"] == channel) return part["state"].get<std::string>();
      }
    }
    return std::string();
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        return part_state("winter-sale", "brand-whatsapp") == "held" &&
               part_state("winter-sale", "brand-telegram") == "published";
      },
      30s, 200ms))
      << GetJson(port, "/v1/calendar/posts").value_or(json()).dump();

  // WhatsApp comes back, the incident closes, and 20 s later both resume; the campaign paused
  // by someone in October stays as it was.
  ASSERT_TRUE(WaitFor([&] { return changes("resumed") == active; }, 120s, 500ms))
      << testing::ReadFile(dir.File("demo.log"));
  for (const char* post : {"winter-sale", "store-hours"}) {
    EXPECT_EQ(part_state(post, "brand-whatsapp"), "published") << post << ": released after";
  }
  // The TikTok budget went back to what it was, after the settle time that followed the close.
  ASSERT_TRUE(WaitFor([&] { return transfer().value("state", "") == "returned"; }, 30s, 200ms))
      << transfer().dump();
  {
    const json t = transfer();
    EXPECT_EQ(t["returned_budget"], "100") << t.dump();
    EXPECT_EQ(tiktok_budget(), "100");
    auto inc = GetJson(port, "/v1/incidents/" + incident);
    ASSERT_TRUE(inc && (*inc)["closed_at"].is_string());
    ASSERT_TRUE(t["return_due"].is_string() && t["returned_at"].is_string()) << t.dump();
    // Back no sooner than the settle time (20 s) after the close (whole seconds on the wire).
    const auto parse = [](const json& v) {
      std::tm tm{};
      strptime(v.get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
      return timegm(&tm);
    };
    EXPECT_GE(parse(t["returned_at"]) - parse((*inc)["closed_at"]), 20) << t.dump() << inc->dump();
  }
  auto campaigns = GetJson(port, "/v1/ads/campaigns?platform=demo-meta");
  ASSERT_TRUE(campaigns);
  for (const json& c : (*campaigns)["accounts"][0]["campaigns"]) {
    EXPECT_EQ(c["status"], active.count(c["id"].get<std::string>()) ? "active" : "paused") << c;
  }
  auto recovery = GetJson(port, "/v1/recovery/" + incident);
  ASSERT_TRUE(recovery) << "GET /v1/recovery/" << incident;
  EXPECT_EQ((*recovery)["campaigns"].size(), 2u) << recovery->dump();
  // And the posts due during the outage are accounted for: the WhatsApp parts were held and
  // released, the Telegram ones went out as planned.
  const json& posts = (*recovery)["posts"];
  EXPECT_EQ(posts["judged"], true) << posts.dump();
  EXPECT_EQ(posts["released"], 2) << posts.dump();
  EXPECT_EQ(posts["published"], 2) << posts.dump();
  EXPECT_EQ(posts["attention"], false) << posts.dump();
  // The timers all this ran on (the plan's, the guard's, the calendar's) are on /metrics.
  auto metrics = Get(port, "/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("lifeline_timer_lateness_seconds_count"), std::string::npos);
  EXPECT_NE(metrics->body.find("lifeline_timer_runs_total{outcome=\"completed\"}"),
            std::string::npos)
      << metrics->body.substr(0, 2000);
  demo.Stop();
}

// The demo's customers and public chatter (issue 11's demo): three customers wait on WhatsApp
// before the outage while listening judges the usual hour without firing; during it the
// #whatsappdown burst is a spike against weeks of the same hour and an evidence line on
// WhatsApp's diagnosis, the plan's move step moves the waiting customers known on Telegram there
// (the one known nowhere else stays) and Ana's answer on Telegram lands in the same conversation;
// after it WhatsApp's held messages arrive late, once each, and the incident's sweep lists who
// waits.
TEST(ServeDemo, WaitingCustomersMoveToTelegramTheChatterSpikesAndTheSweepListsWhoWaits) {
  TempDir dir;
  const auto port = testing::FreePort();
  Process demo;
  ASSERT_NO_FATAL_FAILURE(StartDemo(demo, dir, port, "3", "28"));
  const std::string log = dir.File("demo.log");
  auto conversation = [&](const std::string& name) -> json {
    auto list = GetJson(port, "/v1/conversations?limit=100");
    if (!list) return nullptr;
    for (const json& c : (*list)["conversations"]) {
      if (c["name"] == name) return c;
    }
    return nullptr;
  };
  auto spikes = [&](const std::string& filter) {
    auto s = GetJson(port, "/v1/listening/spikes?query=chatter:whatsapp" + filter);
    return s ? (*s)["spikes"] : json::array();
  };

  // Before the outage: three conversations wait on the brand's WhatsApp.
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const char* name : {"Ana Souza", "Ben Carter", "Carla Mendes"}) {
          const json c = conversation(name);
          if (!c.is_object() || c["channel"] != "brand-whatsapp" ||
              !c["waiting_since"].is_string()) {
            return false;
          }
        }
        return true;
      },
      15s))
      << testing::ReadFile(log);
  ASSERT_TRUE(WaitFor(
      [&] {
        return testing::ReadFile(log).find("WhatsApp starts failing now") != std::string::npos;
      },
      15s, 10ms))
      << testing::ReadFile(log);
  // The usual hour was judged (against the seeded history) and did not fire.
  const json before = spikes("");
  EXPECT_FALSE(before.empty()) << "listening judged WhatsApp's chatter before the outage";
  for (const json& s : before) EXPECT_FALSE(s["spiking"].get<bool>()) << s.dump();

  // During it: a spike of WhatsApp's chatter, judged against at least 4 weeks of the same hour.
  // Usually seconds; up to a minute when the outage begins in an hour's first minute (the hour in
  // progress is judged once a minute of it has passed).
  json spike;
  ASSERT_TRUE(WaitFor(
      [&] {
        const json on = spikes("&spiking=true");
        if (on.empty()) return false;
        spike = on[0];
        return true;
      },
      75s, 200ms))
      << testing::ReadFile(log);
  EXPECT_EQ(spike["platform"], "whatsapp") << spike.dump();
  EXPECT_GE(spike["weeks"].size(), 4u) << spike.dump();
  EXPECT_GE(spike["observed"].get<int>(), 10) << spike.dump();
  EXPECT_LT(spike["p_value"].get<double>(), 1e-4) << spike.dump();
  // It is an evidence line on WhatsApp's diagnosis.
  ASSERT_TRUE(WaitFor(
      [&] {
        const json p = PlatformView(port, "whatsapp");
        if (!p.is_object()) return false;
        for (const json& line : p["evidence"]) {
          if (line.get<std::string>().starts_with("outage chatter on WhatsApp: ")) return true;
        }
        return false;
      },
      10s))
      << PlatformView(port, "whatsapp").dump();
  // What people said has a sentiment: annoyed ones and a few pleased with the brand.
  {
    auto posts = GetJson(port, "/v1/listening/posts?query=chatter:whatsapp&limit=200");
    ASSERT_TRUE(posts);
    std::set<std::string> sentiments;
    for (const json& p : (*posts)["posts"]) sentiments.insert(p["sentiment"].get<std::string>());
    EXPECT_TRUE(sentiments.count("negative") && sentiments.count("positive")) << posts->dump();
  }

  // The plan's move step: Ana and Carla, known on Telegram too, now continue there; Ben, known on
  // WhatsApp only, stays where he was (the sweep will list him).
  json ana;
  ASSERT_TRUE(WaitFor(
      [&] {
        ana = conversation("Ana Souza");
        const json carla = conversation("Carla Mendes");
        return ana.is_object() && carla.is_object() && ana["channel"] == "brand-telegram" &&
               ana["moved_from"] == "brand-whatsapp" && carla["channel"] == "brand-telegram" &&
               carla["moved_from"] == "brand-whatsapp";
      },
      45s, 200ms))
      << testing::ReadFile(log);
  const json ben = conversation("Ben Carter");
  EXPECT_EQ(ben["channel"], "brand-whatsapp") << ben.dump();
  EXPECT_TRUE(ben["moved_from"].is_null()) << ben.dump();
  // Ana answers on Telegram: in the same conversation as her WhatsApp message and the move
  // message.
  const std::string ana_id = ana["id"];
  json thread;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto d = GetJson(port, "/v1/conversations/" + ana_id);
        if (!d) return false;
        thread = (*d)["messages"];
        for (const json& m : thread) {
          if (m["direction"] == "in" && m["channel"] == "brand-telegram" &&
              m["text"].get<std::string>().find("Any news about order #1042") !=
                  std::string::npos) {
            return true;
          }
        }
        return false;
      },
      20s, 200ms))
      << thread.dump() << testing::ReadFile(log);
  int from_whatsapp = 0, moves_out = 0;
  for (const json& m : thread) {
    from_whatsapp += m["direction"] == "in" && m["channel"] == "brand-whatsapp";
    moves_out += m["direction"] == "out" && m["channel"] == "brand-telegram";
  }
  EXPECT_EQ(from_whatsapp, 1) << thread.dump();
  EXPECT_EQ(moves_out, 1) << thread.dump();

  // After restoration: the incident closes and its sweep lists everyone still waiting.
  std::string incident;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto closed = GetJson(port, "/v1/incidents?state=closed");
        if (!closed || (*closed)["incidents"].empty()) return false;
        incident = (*closed)["incidents"][0]["id"];
        return true;
      },
      45s, 200ms))
      << testing::ReadFile(log);
  json sweep;
  ASSERT_TRUE(WaitFor(
      [&] {
        // WhatsApp's held messages arrive a moment after it is back.
        auto s = GetJson(port, "/v1/inbox/sweep?incident=" + incident);
        if (!s) return false;
        sweep = *s;
        int diego = 0;
        for (const json& m : sweep["messages"]) diego += m["conversation"]["name"] == "Diego Ruiz";
        return diego >= 2;
      },
      15s, 200ms))
      << sweep.dump() << testing::ReadFile(log);
  std::set<std::string> waiting;
  for (const json& c : sweep["waiting"]) waiting.insert(c["name"].get<std::string>());
  EXPECT_EQ(waiting, (std::set<std::string>{"Ana Souza", "Ben Carter", "Carla Mendes", "Diego Ruiz",
                                            "Emma Schulz"}))
      << sweep.dump();
  EXPECT_EQ(sweep["moves"].size(), 2u) << sweep.dump();
  // Diego's two messages, written during the outage, arrived after it, once each (WhatsApp
  // delivered one of them twice).
  std::set<std::string> diego;
  for (const json& m : sweep["messages"]) {
    if (m["conversation"]["name"] != "Diego Ruiz") continue;
    EXPECT_TRUE(diego.insert(m["platform_id"].get<std::string>()).second) << m.dump();
    const auto parse = [](const json& v) {
      std::tm tm{};
      strptime(v.get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
      return timegm(&tm);
    };
    EXPECT_GE(parse(m["received_at"]) - parse(m["sent_at"]), 10) << "held, then late: " << m.dump();
  }
  EXPECT_EQ(diego.size(), 2u) << sweep.dump();
  // The plan's step says on_restoration: back: Ana and Carla are told on Telegram that WhatsApp
  // works again, and their conversations return there.
  ASSERT_TRUE(WaitFor(
      [&] {
        const json ana = conversation("Ana Souza");
        const json carla = conversation("Carla Mendes");
        return ana.is_object() && carla.is_object() && ana["channel"] == "brand-whatsapp" &&
               carla["channel"] == "brand-whatsapp";
      },
      15s, 200ms))
      << conversation("Ana Souza").dump() << testing::ReadFile(log);
  sweep = *GetJson(port, "/v1/inbox/sweep?incident=" + incident);
  for (const json& m : sweep["moves"]) {
    EXPECT_EQ(m["restored_note"], "told on brand-telegram; replies go to brand-whatsapp again")
        << m.dump();
  }
  // And the demo tells the story.
  ASSERT_TRUE(WaitFor(
      [&] {
        return testing::ReadFile(log).find("its sweep lists 5 conversations") != std::string::npos;
      },
      15s))
      << testing::ReadFile(log);
  // A reply to Ben on WhatsApp: his phone reports it delivered, then read (WhatsApp's statuses).
  const std::string ben_id = conversation("Ben Carter")["id"];
  auto reply = testing::RunLifeline(
      {"inbox", "reply", ben_id, "--text", "Sorry for the wait, Ben: your order ships today.",
       "--as", "maria", "--server", "http://127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(reply.code, 0) << reply.out;
  json shown;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto c = GetJson(port, "/v1/conversations/" + ben_id);
        if (!c) return false;
        shown = *c;
        for (const json& m : shown["messages"]) {
          if (m["direction"] == "out" && m["platform_status"] == "read") return true;
        }
        return false;
      },
      20s, 200ms))
      << shown.dump() << testing::ReadFile(log);
  const std::string text = testing::ReadFile(log);
  for (const char* line :
       {"customer Ana Souza wrote on WhatsApp",
        "Ana Souza's conversation moved from WhatsApp to Telegram",
        "customer Ana Souza wrote on Telegram",
        "WhatsApp is back and delivers the 2 messages it held", "2 told that WhatsApp works again",
        "Ben Carter read our WhatsApp message", "listening: spike of chatter:whatsapp"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
  demo.Stop();
  EXPECT_EQ(demo.exit_status(), 0) << testing::ReadFile(log);
}

TEST(ServeBinary, ServesTheApiAndStopsCleanlyOnSigterm) {
  TempDir dir;
  Process control, platform;
  const auto cport = testing::FreePort(), pport = testing::FreePort();
  const std::string httpd = std::string(LIFELINE_SOURCE_DIR) + "/tests/tools/testhttpd.py";
  ASSERT_TRUE(
      control.Start({"/usr/bin/python3", httpd, "--listen", "127.0.0.1:" + std::to_string(cport)}));
  ASSERT_TRUE(platform.Start(
      {"/usr/bin/python3", httpd, "--listen", "127.0.0.1:" + std::to_string(pport)}));
  ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", cport));
  ASSERT_TRUE(testing::WaitForTcpPort("127.0.0.1", pport));
  auto cfg = ServeConfig(dir, "http://127.0.0.1:" + std::to_string(cport) + "/",
                         "http://127.0.0.1:" + std::to_string(pport) + "/");
  Process serve;
  ASSERT_TRUE(serve.Start({LIFELINE_BINARY, "serve", "--config", cfg, "--listen", "127.0.0.1:0"},
                          dir.File("serve.log")));
  std::smatch m;
  std::string log;
  const std::regex url(R"(dashboard and API on http://127\.0\.0\.1:(\d+)/)");
  ASSERT_TRUE(WaitFor(
      [&] {
        log = testing::ReadFile(dir.File("serve.log"));
        return std::regex_search(log, m, url);
      },
      15s))
      << log;
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));
  auto health = Get(port, "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200) << health->body;
  ASSERT_TRUE(WaitFor([&] { return VerdictOf(port, "x") == "up"; }, 15s))
      << testing::ReadFile(dir.File("serve.log"));
  serve.Stop();
  EXPECT_EQ(serve.exit_status(), 0) << testing::ReadFile(dir.File("serve.log"));
  EXPECT_NE(testing::ReadFile(dir.File("serve.log")).find("lifeline serve: stopped"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir.File("data/lifeline.db")))
      << "data_dir is relative to the config file's folder";
}

TEST(ServeBinary, ACorruptDatabaseIsAClearErrorNotAPlatformVerdict) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("data"));
  dir.Write("data/lifeline.db", std::string(8192, 'x'));
  auto cfg = ServeConfig(dir, "http://127.0.0.1:9/", "http://127.0.0.1:9/");
  std::string out;
  int code = testing::RunCommand({LIFELINE_BINARY, "serve", "--config", cfg}, &out);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("lifeline.db"), std::string::npos) << out;
  EXPECT_EQ(out.find("outage"), std::string::npos) << out;
  EXPECT_EQ(out.find("dashboard and API on"), std::string::npos) << "it must not start watching";
}

}  // namespace
}  // namespace lifeline
