// `lifeline drill` as a team runs it: the real `lifeline serve` on loopback with a plan whose team
// contact and test audience are Telegram chats on the emulator (tests/fakes/chat_apis.py). The CLI
// starts a drill and waits; the team gets a [DRILL] alert with an acknowledgement link; the link
// is used; the CLI sees everyone acknowledged, ends the drill and writes the report with the
// acknowledgement time. Meanwhile no verdict, incident listing or relay circuit changed, and the
// real audience channel received nothing. Also: the dry run against the same config, and its
// refusal of an unknown platform.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "config/config.h"
#include "integration/support/chat_fakes.h"
#include "integration/support/process.h"

namespace lifeline {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;
using namespace std::chrono_literals;
using testing::ChatFakes;
using testing::Process;
using testing::TempDir;

struct Reply {
  int status = 0;
  std::string body;
};

std::optional<Reply> Call(std::uint16_t port, http::verb verb, const std::string& target,
                          const std::string& token = "", const std::string& body = "") {
  try {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    timeval limit{10, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::connection, "close");
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return Reply{static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

json GetJson(std::uint16_t port, const std::string& target, const std::string& token = "") {
  auto r = Call(port, http::verb::get, target, token);
  if (!r || r->status != 200) return nullptr;
  return json::parse(r->body, nullptr, false);
}

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

// Nothing but loopback: the catalog's platforms disabled, no resolver, a closed control port;
// three Telegram chats on the emulator: the team's, the brand's real channel, and a test channel.
std::string WriteConfig(const TempDir& dir, std::uint16_t api_port, const std::string& fake) {
  auto catalog = config::LoadBundled();
  EXPECT_TRUE(catalog.ok());
  std::string y = "timeout: 1s\nresolvers: []\ncontrol:\n  - url: http://127.0.0.1:9/\n";
  y += "api:\n  listen: 127.0.0.1:" + std::to_string(api_port) + "\n";
  y += "platforms:\n";
  if (catalog.ok()) {
    for (const auto& p : catalog->platforms) y += "  " + p.id + ": { enabled: false }\n";
  }
  auto tg = [&](const std::string& name, const std::string& chat) {
    return "  " + name + ":\n    type: telegram\n    token: { env: LL_IT_TG_TOKEN }\n    chat: \"" +
           chat + "\"\n    api_base: " + fake + "\n";
  };
  y += "channels:\n" + tg("team-telegram", "-100111") + tg("brand-telegram", "@brand") +
       tg("drill-telegram", "@brand_drill");
  y += "relay:\n  poll: 200ms\n";
  y += R"yaml(contacts:
  ana: { name: Ana Lima, points: [ { channel: team-telegram, to: "-100111" } ] }
templates:
  alert: { default: "{platform} is down since {time}: {incident}" }
  holding: { default: "{platform} is down. Reach us on {backup_channel}: {backup_link}" }
plan:
  name: Drill test plan
  roles: { community_manager: }
  team:
    ana: { contact: ana, roles: [community_manager] }
  inventory:
    whatsapp: { platform: whatsapp, audience: 1000, primary: true, backup: telegram }
    telegram: { channel: brand-telegram, audience: 500, link: "https://t.me/brand" }
  escalation:
    standard: { after: 10m, to: [community_manager] }
  responses:
    whatsapp-down:
      trigger: { platforms: [whatsapp] }
      steps:
        - notify: { to: [community_manager], template: alert, escalation: standard }
        - post: { template: holding }
  drill: { audience: [drill-telegram] }
)yaml";
  return dir.Write("lifeline.yaml", y);
}

// Telegram messages the emulator received for `chat`.
std::vector<std::string> TextsTo(ChatFakes& fakes, const std::string& chat) {
  std::vector<std::string> out;
  for (const json& m : fakes.Received("telegram")) {
    if (m["json"].value("chat_id", "") == chat) out.push_back(m.value("visible_text", ""));
  }
  return out;
}

class CliDrill : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(fakes_.Start(&error)) << error;
    setenv("LL_IT_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    port_ = testing::FreePort();
    config_ = WriteConfig(dir_, port_, fakes_.Url());
  }
  void TearDown() override { fakes_.Stop(); }

  std::string Server() const { return "http://127.0.0.1:" + std::to_string(port_); }

  TempDir dir_{"lifeline-drill"};
  ChatFakes fakes_;
  std::uint16_t port_ = 0;
  std::string config_;
};

TEST_F(CliDrill, ARealDrillReachesTheTeamNotTheAudienceAndReportsTheAcknowledgementTime) {
  const std::string data = dir_.File("data");
  std::string out;
  ASSERT_EQ(testing::RunCommand({LIFELINE_BINARY, "token", "create", "--name", "drill", "--role",
                                 "operator", "--data-dir", data},
                                &out),
            0)
      << out;
  const auto at = out.find("llt_");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string token = out.substr(at, 68);
  const std::string token_file = dir_.Write("token", token + "\n");

  Process serve;
  std::string error;
  ASSERT_TRUE(serve.Start({LIFELINE_BINARY, "serve", "--config", config_, "--data-dir", data},
                          dir_.File("serve.log"), &error))
      << error;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto r = Call(port_, http::verb::get, "/healthz");
        return r && r->status == 200;
      },
      30s))
      << testing::ReadFile(dir_.File("serve.log"));
  const json platforms_before = GetJson(port_, "/v1/platforms", token);
  ASSERT_TRUE(platforms_before.is_object()) << testing::ReadFile(dir_.File("serve.log"));

  // The CLI starts the drill and waits until everyone acknowledged, then ends it and writes the
  // report.
  Process cli;
  const std::string report = dir_.File("drill.md");
  ASSERT_TRUE(cli.Start({LIFELINE_BINARY, "drill", "whatsapp", "--server", Server(), "--token-file",
                         token_file, "--duration", "20m", "--end", "--output", report},
                        dir_.File("cli.log"), &error))
      << error;

  // The team's alert arrives marked, with a link to acknowledge it.
  std::vector<std::string> team;
  ASSERT_TRUE(WaitFor(
      [&] {
        team = TextsTo(fakes_, "-100111");
        return !team.empty();
      },
      20s))
      << testing::ReadFile(dir_.File("cli.log")) << testing::ReadFile(dir_.File("serve.log"));
  EXPECT_EQ(team[0].rfind("[DRILL] WhatsApp is down since", 0), 0u) << team[0];
  EXPECT_NE(testing::ReadFile(dir_.File("cli.log")).find("console: " + Server() + "/#/incident/"),
            std::string::npos)
      << testing::ReadFile(dir_.File("cli.log"));
  std::smatch link;
  ASSERT_TRUE(std::regex_search(team[0], link, std::regex("/ack/([A-Za-z0-9_.~-]+)"))) << team[0];
  // The holding statement goes to the test audience only.
  ASSERT_TRUE(WaitFor([&] { return !TextsTo(fakes_, "@brand_drill").empty(); }, 20s));
  EXPECT_EQ(TextsTo(fakes_, "@brand_drill")[0].rfind("[DRILL] WhatsApp is down. Reach us on", 0),
            0u);

  auto acked = Call(port_, http::verb::post, "/v1/ack/" + link[1].str(), "", "{}");
  ASSERT_TRUE(acked);
  ASSERT_EQ(acked->status, 200) << acked->body;

  ASSERT_TRUE(WaitFor([&] { return !cli.Running(); }, 30s))
      << testing::ReadFile(dir_.File("cli.log"));
  EXPECT_EQ(cli.Wait(), 0) << testing::ReadFile(dir_.File("cli.log"));
  const std::string md = testing::ReadFile(report);
  EXPECT_NE(md.find("# Drill report: a WhatsApp outage"), std::string::npos) << md;
  std::smatch row;
  ASSERT_TRUE(std::regex_search(
      md, row,
      std::regex(
          R"(\| Ana Lima \| community\\_manager \| [^|]+ \| \+[0-9]+ m?s \(asked first\) \| acknowledged \| ([0-9][^|]*) \|)")))
      << md;
  EXPECT_NE(md.find("posted on the test audience"), std::string::npos) << md;

  // Nothing real changed: no incident, the same verdicts, no circuit open, no real post.
  const json incidents = GetJson(port_, "/v1/incidents", token);
  ASSERT_TRUE(incidents.is_object());
  EXPECT_TRUE(incidents["incidents"].empty()) << incidents.dump();
  EXPECT_EQ(GetJson(port_, "/v1/platforms", token)["platforms"], platforms_before["platforms"]);
  const json channels = GetJson(port_, "/v1/channels", token);
  ASSERT_TRUE(channels.is_object());
  for (const json& c : channels["channels"]) EXPECT_NE(c.value("circuit", ""), "open") << c;
  EXPECT_TRUE(TextsTo(fakes_, "@brand").empty());

  // The drill is listed as a drill, ended, and its report can be written again.
  const json drills = GetJson(port_, "/v1/drills", token);
  ASSERT_TRUE(drills.is_object());
  ASSERT_EQ(drills["drills"].size(), 1u);
  EXPECT_EQ(drills["drills"][0]["state"], "ended");
  const std::string id = drills["drills"][0]["id"];
  std::string again;
  ASSERT_EQ(testing::RunCommand({LIFELINE_BINARY, "drill", "report", id, "--server", Server(),
                                 "--token-file", token_file, "--format", "json"},
                                &again),
            0)
      << again;
  json j = json::parse(again.substr(again.find('{')), nullptr, false);
  ASSERT_TRUE(j.is_object()) << again;
  bool took = false;
  for (const json& a : j["acknowledgements"]) {
    if (a["person"] == "ana" && a["outcome"] == "acknowledged") took = a["took_ms"].is_number();
  }
  EXPECT_TRUE(took) << j["acknowledgements"].dump();
  EXPECT_EQ(testing::ReadFile(dir_.File("cli.log")).find(token), std::string::npos);

  serve.Stop();
  EXPECT_EQ(serve.exit_status(), 0) << testing::ReadFile(dir_.File("serve.log"));
}

TEST_F(CliDrill, TheDryRunNeedsNoServeAndRefusesAnUnknownPlatform) {
  std::string out;
  ASSERT_EQ(testing::RunCommand({LIFELINE_BINARY, "drill", "whatsapp", "--dry-run", "--config",
                                 config_, "--ack-after", "2m"},
                                &out),
            0)
      << out;
  EXPECT_NE(out.find("# Drill (dry run): a WhatsApp outage"), std::string::npos) << out;
  EXPECT_NE(out.find("| Ana Lima | community\\_manager |"), std::string::npos) << out;
  EXPECT_NE(out.find("| acknowledged | 2 min |"), std::string::npos) << out;
  EXPECT_TRUE(fakes_.Received("telegram").empty());  // nothing was sent

  ASSERT_EQ(testing::RunCommand(
                {LIFELINE_BINARY, "drill", "whatsap", "--dry-run", "--config", config_}, &out),
            2)
      << out;
  EXPECT_NE(out.find("unknown platform 'whatsap' (did you mean 'whatsapp'?)"), std::string::npos)
      << out;
  ASSERT_EQ(testing::RunCommand(
                {LIFELINE_BINARY, "drill", "telegram", "--dry-run", "--config", config_}, &out),
            2)
      << out;
  EXPECT_NE(out.find("no response of the plan answers an outage of Telegram"), std::string::npos)
      << out;
}

}  // namespace
}  // namespace lifeline
