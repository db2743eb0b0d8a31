// The contingency plan end to end (issue 9), the real `lifeline serve` on loopback: WhatsApp's
// site (a ToggleSite this test controls, probed from here and from two `lifeline agent` vantage
// points) starts failing -> an outage incident -> the team is alerted by e-mail (a real SMTP
// server, smtp_sink.py) and Telegram (chat_apis.py) -> the holding statement goes to the surviving
// channels (Mastodon through social_apis.py, the brand's Telegram channel) and nothing to the
// WhatsApp channel -> an approval nobody gives in time escalates to the superior, whose e-mail
// carries one-time links (a forged one and a reused one are refused) -> the site heals ->
// monitoring window -> resolved -> the report's times and per-channel counts. Waits for states
// with deadlines; never a fixed sleep.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "integration/support/chat_fakes.h"
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
using testing::TempDir;
using testing::ToggleSite;
using Clock = std::chrono::system_clock;

// The plan's timers, short so that the whole story fits in well under a minute.
constexpr auto kApprovalTimeout = 3s;
constexpr auto kMonitorWindow = 3s;
constexpr const char* kMastodonToken = "e2e-mastodon-token";

template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return pred();
}

// "2026-11-27T10:00:00Z" (what the API writes) -> a time point; nullopt for anything else.
std::optional<Clock::time_point> ParseTime(const json& v) {
  if (!v.is_string()) return std::nullopt;
  std::tm tm{};
  if (strptime(v.get<std::string>().c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) {
    return std::nullopt;
  }
  return Clock::from_time_t(timegm(&tm));
}

std::int64_t Ms(Clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

class PlaybookEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::PythonHasModule("aiosmtpd")) {
      GTEST_SKIP() << "python3-aiosmtpd is not installed (scripts/install-deps installs it)";
    }
    site_.Start();
    std::string error;
    ASSERT_TRUE(smtp_.Start("smtp_sink.py", {"--dir", smtp_.dir().File("mail")}, &error)) << error;
    ASSERT_TRUE(chat_.Start(&error)) << error;
    ASSERT_TRUE(social_.Start("social_apis.py", {"--mastodon-token", kMastodonToken}, &error))
        << error;
    setenv("LL_E2E_TG_TOKEN", ChatFakes::kTelegramToken, 1);
    setenv("LL_E2E_WA_TOKEN", ChatFakes::kWhatsAppToken, 1);
    setenv("LL_E2E_MASTODON_TOKEN", kMastodonToken, 1);

    // Two vantage points: with them, WhatsApp failing from everywhere is an `outage`.
    const std::string token_file = dir_.Write("agent.token", "e2e-agent-token\n");
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
        ServeLogFile(), &error))
        << error;
  }

  std::string ServeLogFile() const { return dir_.File("serve.log"); }
  std::string ServeLog() const { return testing::ReadFile(ServeLogFile()); }

  // Everything on loopback: the catalog's platforms all disabled but WhatsApp, whose one probe
  // is the toggled site; no resolver, no status page; the channels point at the fakes.
  std::string Config(const std::string& token_file, const std::vector<std::uint16_t>& agents) {
    const std::string chat = chat_.Url();
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
    y += "api:\n  listen: 127.0.0.1:" + std::to_string(api_port_) + "\n";
    y += "serve:\n  interval: 5s\n  close_after: 1\n";
    y += "platforms:\n";
    auto catalog = config::LoadBundled();
    EXPECT_TRUE(catalog.ok());
    if (catalog.ok()) {
      for (const auto& p : catalog->platforms) {
        if (p.id != "whatsapp") y += "  " + p.id + ": { enabled: false }\n";
      }
    }
    y += "  whatsapp:\n    dns: []\n    status_page: null\n    probes:\n"
         "      - { id: web, url: \"" +
         site_.Url("/whatsapp") +
         "\", expect: { status: [200], body_contains: [\"whatsapp is working\"] } }\n"
         "      - { id: site, enabled: false }\n";
    y += "channels:\n"
         "  team-mail: { type: email, host: 127.0.0.1, port: " +
         std::to_string(smtp_.port()) +
         ", security: none, from: lifeline@brand.test, from_name: Lifeline }\n"
         "  team-telegram: { type: telegram, token: { env: LL_E2E_TG_TOKEN }, api_base: \"" +
         chat +
         "\" }\n"
         "  brand-telegram: { type: telegram, token: { env: LL_E2E_TG_TOKEN }, chat: "
         "\"@brandstatus\", api_base: \"" +
         chat +
         "\" }\n"
         "  brand-whatsapp: { type: whatsapp, token: { env: LL_E2E_WA_TOKEN }, phone_number_id: "
         "\"106540352242922\", to: \"+15551234567\", api_base: \"" +
         chat +
         "\" }\n"
         "  brand-mastodon: { type: mastodon, server: \"http://127.0.0.1:" +
         std::to_string(social_.port()) + "\", access_token: { env: LL_E2E_MASTODON_TOKEN } }\n";
    y += R"(contacts:
  ana: { name: Ana Lima, points: [ { channel: team-mail, to: ana@brand.test },
                                   { channel: team-telegram, to: "1001" } ] }
  bo: { name: Bo Chen, points: [ { channel: team-telegram, to: "1002" },
                                 { channel: team-mail, to: bo@brand.test } ] }
  sofia: { name: Sofia Reyes, points: [ { channel: team-mail, to: sofia@brand.test } ] }
relay:
  poll: 200ms
plan:
  name: End-to-end plan
  roles:
    community_manager: Answers the audience
    comms_lead: Owns what the brand says
    superior: Approves what goes beyond the pre-approved statement
  team:
    ana: { contact: ana, roles: [community_manager] }
    bo: { contact: bo, roles: [comms_lead] }
    sofia: { contact: sofia, roles: [superior] }
  inventory:
    whatsapp: { channel: brand-whatsapp, audience: 5000, primary: true, backup: telegram,
                link: "https://t.me/brandstatus" }
    telegram: { name: Telegram, channel: brand-telegram, audience: 2000,
                link: "https://t.me/brandstatus" }
    mastodon: { name: Mastodon, channel: brand-mastodon, audience: 1000, backup: telegram,
                link: "https://t.me/brandstatus" }
  escalation:
    to-superior: { after: 3s, to: [superior] }
  responses:
    whatsapp-outage:
      trigger: { platforms: [whatsapp], verdicts: [outage], severity: critical }
      steps:
        - notify:
            to: [community_manager, comms_lead]
            subject: "{platform} is down"
            text: "{platform} fails for everyone since {time} (incident {incident_id})."
        - post:
            text: "{platform} is not working right now. Reach us on {backup_channel}: {backup_link}"
        - approve: { role: comms_lead, what: Extend the statement to the press, timeout: 3s,
                     on_timeout: escalate, escalation: to-superior }
      after_restoration:
        checklist:
          - { title: Answer the messages that arrived during the outage, role: community_manager }
        monitor: { window: 3s }
)";
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

  // The mails the SMTP sink accepted, oldest first.
  std::vector<json> Mails() const {
    const std::string dir = smtp_.dir().File("mail");
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".json") names.push_back(e.path().string());
    }
    std::sort(names.begin(), names.end());
    std::vector<json> out;
    for (const std::string& n : names) {
      json j = json::parse(testing::ReadFile(n), nullptr, false);
      if (!j.is_discarded()) out.push_back(std::move(j));
    }
    return out;
  }
  std::vector<json> MailsTo(const std::string& address) const {
    std::vector<json> out;
    for (json& m : Mails()) {
      if (m["rcpt_tos"] == json::array({address})) out.push_back(std::move(m));
    }
    return out;
  }
  static std::string BodyOf(const json& mail) {
    std::string text;
    for (const auto& p : mail["parts"]) {
      if (p["body"].is_string()) text += p["body"].get<std::string>() + "\n";
    }
    return text;
  }

  // What the Telegram emulator accepted for `chat`, oldest first.
  std::vector<json> TelegramTo(const std::string& chat) {
    std::vector<json> out;
    for (const auto& r : chat_.Received("telegram")) {
      if (r.value("answered", 0) == 200 && r["json"]["chat_id"].is_string() &&
          r["json"]["chat_id"] == chat) {
        out.push_back(r);
      }
      if (r.value("answered", 0) == 200 && r["json"]["chat_id"].is_number() &&
          std::to_string(r["json"]["chat_id"].get<long long>()) == chat) {
        out.push_back(r);
      }
    }
    return out;
  }

  json SocialReceived() {
    auto r = HttpCall(social_.port(), "GET", "/_received");
    if (!r || r->status != 200) return json::object();
    json j = json::parse(r->body, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  // The incident's lifecycle state ("" before a response ran).
  std::string Lifecycle(const std::string& incident) {
    auto r = Get("/v1/incidents/" + incident + "/response");
    if (!r || !(*r)["lifecycle"]["state"].is_string()) return "";
    return (*r)["lifecycle"]["state"].get<std::string>();
  }

  TempDir dir_{"lifeline-e2e"};
  ToggleSite site_{"whatsapp"};
  PythonFake smtp_;
  ChatFakes chat_;
  PythonFake social_;
  std::vector<std::unique_ptr<Process>> agents_;
  std::uint16_t api_port_ = 0;
  Process serve_;
};

TEST_F(PlaybookEndToEnd, AnOutageRunsThePlanThroughEscalationToTheResolvedReport) {
  const auto test_start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return Verdict("whatsapp") == "up"; }, 30s))
      << "serve never saw WhatsApp up\n"
      << ServeLog();

  // ---- the outage: detected and opened as one incident ----
  const auto failed_at = Clock::now();
  site_.SetHealthy(false);
  std::string incident;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto open = Get("/v1/incidents?state=open");
        if (!open || (*open)["incidents"].empty()) return false;
        incident = (*open)["incidents"][0]["id"].get<std::string>();
        return true;
      },
      30s))
      << "no incident opened\n"
      << ServeLog();
  auto open = Get("/v1/incidents?state=open");
  ASSERT_TRUE(open);
  ASSERT_EQ((*open)["incidents"].size(), 1u) << open->dump();
  EXPECT_EQ((*open)["incidents"][0]["platforms"], json::array({"whatsapp"}));
  EXPECT_EQ((*open)["incidents"][0]["verdict"], "outage");

  // ---- the team: Ana by e-mail, Bo by Telegram ----
  ASSERT_TRUE(WaitFor([&] { return !MailsTo("ana@brand.test").empty(); }, 20s))
      << "no alert for Ana at the SMTP sink\n"
      << ServeLog();
  const json ana = MailsTo("ana@brand.test")[0];
  EXPECT_EQ(ana["subject"], "WhatsApp is down");
  EXPECT_THAT(BodyOf(ana), HasSubstr("WhatsApp fails for everyone since"));
  EXPECT_THAT(BodyOf(ana), HasSubstr(incident));
  EXPECT_EQ(ana["from"], "Lifeline <lifeline@brand.test>");
  ASSERT_TRUE(WaitFor([&] { return !TelegramTo("1002").empty(); }, 20s))
      << "no sendMessage for Bo at the Telegram emulator\n"
      << chat_.log();
  EXPECT_THAT(TelegramTo("1002")[0]["visible_text"].get<std::string>(),
              HasSubstr("WhatsApp fails for everyone since"));

  // ---- the holding statement: on Mastodon and the brand's Telegram channel, not on WhatsApp ----
  ASSERT_TRUE(WaitFor(
      [&] {
        json s = SocialReceived();
        return s.contains("created") && s["created"]["mastodon"].size() == 1 &&
               !TelegramTo("@brandstatus").empty();
      },
      20s))
      << SocialReceived().dump() << "\n"
      << ServeLog();
  const std::string statement =
      "WhatsApp is not working right now. Reach us on Telegram: https://t.me/brandstatus";
  EXPECT_THAT(SocialReceived()["created"]["mastodon"][0]["text"].get<std::string>(),
              HasSubstr(statement));
  EXPECT_THAT(TelegramTo("@brandstatus")[0]["visible_text"].get<std::string>(),
              HasSubstr(statement));

  // ---- the approval: asked of Bo, nobody answers, the superior is asked after the timeout ----
  ASSERT_TRUE(WaitFor(
      [&] {
        for (const json& t : TelegramTo("1002")) {
          if (t["visible_text"].get<std::string>().find("Approve: ") != std::string::npos) {
            return true;
          }
        }
        return false;
      },
      20s))
      << "no approval request for Bo\n"
      << ServeLog();
  json approval;
  ASSERT_TRUE(WaitFor(
      [&] {
        auto a = Get("/v1/assignments?incident=" + incident + "&kind=approval");
        if (!a || (*a)["assignments"].empty()) return false;
        approval = (*a)["assignments"][0];
        return true;
      },
      10s));
  EXPECT_EQ(approval["state"], "open");
  EXPECT_EQ(approval["assignee"], "bo");
  const auto asked_at = ParseTime(approval["created_at"]);
  ASSERT_TRUE(asked_at) << approval.dump();

  ASSERT_TRUE(WaitFor([&] { return !MailsTo("sofia@brand.test").empty(); }, 20s))
      << "the approval never escalated to the superior\n"
      << ServeLog();
  const auto sofia_seen = Clock::now();
  const json sofia = MailsTo("sofia@brand.test")[0];
  EXPECT_THAT(sofia["subject"].get<std::string>(), HasSubstr("Escalated: approval needed"));
  // Not before the timeout (the API's times are whole seconds), and not long after it.
  EXPECT_GE(Ms(sofia_seen - *asked_at), Ms(kApprovalTimeout - 1s));
  EXPECT_LE(Ms(sofia_seen - *asked_at), Ms(kApprovalTimeout + 15s));
  auto after_escalation = Get("/v1/assignments?incident=" + incident + "&kind=approval");
  ASSERT_TRUE(after_escalation);
  EXPECT_EQ((*after_escalation)["assignments"][0]["state"], "open");
  EXPECT_THAT((*after_escalation)["assignments"][0]["notified"].dump(), HasSubstr("sofia"));
  EXPECT_TRUE(MailsTo("bo@brand.test").empty()) << "Bo's alerts go by Telegram, which works";

  // ---- the superior's one-time link: a forged one and a reused one are refused ----
  std::smatch m;
  const std::string sofia_body = BodyOf(sofia);
  ASSERT_TRUE(
      std::regex_search(sofia_body, m, std::regex(R"(Approve: (\S+/ack/([A-Za-z0-9._~-]+)))")))
      << sofia_body;
  const std::string link = m[1].str(), token = m[2].str();
  EXPECT_EQ(link.rfind("http://127.0.0.1:" + std::to_string(api_port_) + "/", 0), 0u) << link;
  std::string forged = token;  // one character of the MAC changed
  const std::size_t mac = token.find('.') + 1;
  ASSERT_LT(mac, token.size() - 1) << token;
  forged[mac] = forged[mac] == 'A' ? 'g' : 'A';
  auto r = HttpCall(api_port_, "POST", "/v1/ack/" + forged, "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  r = HttpCall(api_port_, "POST", "/v1/ack/not-a-token-at-all", "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401) << r->body;
  r = HttpCall(api_port_, "GET", "/v1/ack/" + token);  // a preview never acts
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(
      (*Get("/v1/assignments?incident=" + incident + "&kind=approval"))["assignments"][0]["state"],
      "open");
  r = HttpCall(api_port_, "POST", "/v1/ack/" + token, "{}");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["action"], "approve");
  EXPECT_EQ(json::parse(r->body)["by"], "sofia");
  r = HttpCall(api_port_, "POST", "/v1/ack/" + token, "{}");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_THAT(r->body, HasSubstr("already used"));
  const json approved =
      (*Get("/v1/assignments?incident=" + incident + "&kind=approval"))["assignments"][0];
  EXPECT_EQ(approved["state"], "approved");
  EXPECT_EQ(approved["ended_by"], "sofia");

  // ---- restoration: monitoring, then resolved once the window ends quietly ----
  site_.SetHealthy(true);
  ASSERT_TRUE(WaitFor([&] { return Lifecycle(incident) == "monitoring"; }, 30s))
      << "never monitoring: " << Lifecycle(incident) << "\n"
      << ServeLog();
  ASSERT_TRUE(WaitFor([&] { return Lifecycle(incident) == "resolved"; }, 20s))
      << "never resolved: " << Lifecycle(incident) << "\n"
      << ServeLog();
  auto response = Get("/v1/incidents/" + incident + "/response");
  ASSERT_TRUE(response);
  std::vector<std::string> states;
  std::map<std::string, Clock::time_point> entered;
  for (const auto& t : (*response)["lifecycle"]["transitions"]) {
    states.push_back(t["to"].get<std::string>());
    if (auto at = ParseTime(t["at"])) entered[states.back()] = *at;
  }
  EXPECT_THAT(states, ::testing::ElementsAre("detected", "mitigating", "monitoring", "resolved"))
      << response->dump();
  ASSERT_TRUE(entered.count("monitoring") && entered.count("resolved"));
  EXPECT_GE(Ms(entered["resolved"] - entered["monitoring"]), Ms(kMonitorWindow - 1s));
  EXPECT_LE(Ms(entered["resolved"] - entered["monitoring"]), Ms(kMonitorWindow + 10s));

  // The checklist item after restoration: Ana's task, by e-mail.
  ASSERT_TRUE(WaitFor([&] { return MailsTo("ana@brand.test").size() >= 2; }, 20s)) << ServeLog();
  EXPECT_THAT(MailsTo("ana@brand.test")[1]["subject"].get<std::string>(),
              HasSubstr("Task: Answer the messages that arrived during the outage"));

  // ---- the report ----
  auto report = Get("/v1/incidents/" + incident + "/report?format=json");
  ASSERT_TRUE(report) << "no report";
  const json& fig = (*report)["figures"];
  EXPECT_EQ((*report)["incident"]["state"], "closed");
  ASSERT_TRUE(fig["time_to_detect"]["ms"].is_number()) << fig.dump();
  // The first failing round comes within one interval (5 s) of the failure; its immediate
  // confirmation opens the incident.
  EXPECT_GE(fig["time_to_detect"]["ms"].get<std::int64_t>(), 0);
  EXPECT_LE(fig["time_to_detect"]["ms"].get<std::int64_t>(), 10'000) << fig.dump();
  auto onset = ParseTime(fig["onset"]);
  ASSERT_TRUE(onset) << fig.dump();
  EXPECT_GE(Ms(*onset - failed_at), -1000) << "onset before the site failed: " << fig.dump();
  EXPECT_LE(Ms(*onset - failed_at), 7'000) << fig.dump();
  ASSERT_TRUE(fig["first_team_alert"].is_object()) << fig.dump();
  const auto first_alert_ms = fig["first_team_alert"]["after_open"]["ms"].get<std::int64_t>();
  EXPECT_GE(first_alert_ms, 0);
  EXPECT_LE(first_alert_ms, 10'000) << fig.dump();
  ASSERT_TRUE(fig["first_audience_announcement"].is_object()) << fig.dump();
  const auto first_post_ms =
      fig["first_audience_announcement"]["after_open"]["ms"].get<std::int64_t>();
  EXPECT_GE(first_post_ms, 0);
  EXPECT_LE(first_post_ms, 10'000) << fig.dump();
  EXPECT_THAT(std::string(fig["first_audience_announcement"]["channel"]),
              ::testing::AnyOf("brand-mastodon", "brand-telegram"));

  // Per channel: Ana's alert, the escalation to Sofia and Ana's checklist task by e-mail; Bo's
  // alert and approval request by Telegram; one holding statement on each surviving channel;
  // nothing on WhatsApp.
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> per_channel;  // total, delivered
  for (const auto& c : (*report)["channels"]) {
    per_channel[c["channel"]] = {c["total"].get<std::int64_t>(),
                                 c["delivered"].get<std::int64_t>()};
  }
  using Counts = std::pair<std::int64_t, std::int64_t>;
  EXPECT_EQ(per_channel["team-mail"], Counts(3, 3)) << (*report)["channels"].dump();
  EXPECT_EQ(per_channel["team-telegram"], Counts(2, 2)) << (*report)["channels"].dump();
  EXPECT_EQ(per_channel["brand-mastodon"], Counts(1, 1)) << (*report)["channels"].dump();
  EXPECT_EQ(per_channel["brand-telegram"], Counts(1, 1)) << (*report)["channels"].dump();
  EXPECT_EQ(per_channel.count("brand-whatsapp") ? per_channel["brand-whatsapp"].first : 0, 0);
  int team = 0, audience = 0;
  for (const auto& msg : (*report)["messages"]) (msg["audience"] == "team" ? team : audience)++;
  EXPECT_EQ(team, 5);
  EXPECT_EQ(audience, 2);
  EXPECT_TRUE(chat_.Received("whatsapp").empty()) << chat_.Received("whatsapp").dump();
  EXPECT_EQ(SocialReceived()["created"]["mastodon"].size(), 1u);

  // ---- the timers on /metrics: each fired, none later than the issue's 1 s ----
  auto metrics = HttpCall(api_port_, "GET", "/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  std::smatch count, max;
  ASSERT_TRUE(std::regex_search(metrics->body, count,
                                std::regex(R"(\nlifeline_timer_lateness_seconds_count (\d+)\n)")))
      << metrics->body;
  // The approval's escalation and the monitoring window at least (the approval cancelled the
  // escalation's end).
  EXPECT_GE(std::stoi(count[1].str()), 2);
  ASSERT_TRUE(std::regex_search(
      metrics->body, max, std::regex(R"(\nlifeline_timer_lateness_max_seconds ([0-9.e+-]+)\n)")));
  EXPECT_LT(std::stod(max[1].str()), 1.0);

  const auto wall = std::chrono::steady_clock::now() - test_start;
  std::printf(
      "playbook end to end: %.1f s (detect %lld ms, first alert %lld ms, first post %lld "
      "ms after opening)\n",
      std::chrono::duration<double>(wall).count(),
      static_cast<long long>(fig["time_to_detect"]["ms"].get<std::int64_t>()),
      static_cast<long long>(first_alert_ms), static_cast<long long>(first_post_ms));
}

}  // namespace
}  // namespace lifeline
