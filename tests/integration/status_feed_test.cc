// Official status pages published only as RSS/Atom incident feeds, served on loopback: `lifeline
// check` and the serve engine fetch the feed, and its active incident shows beside our own
// evidence.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "integration/support/lifeline_cli.h"
#include "integration/support/process.h"
#include "integration/support/testhttpd.h"
#include "serve/engine.h"
#include "store/store.h"

namespace lifeline {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using testing::FindPlatform;
using testing::ParseReport;
using testing::RunLifeline;
using testing::TempDir;
using testing::TestHttpd;
using Clock = std::chrono::system_clock;

std::string Format(Clock::time_point t, const char* format) {
  std::time_t tt = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}
std::string Rfc822(Clock::time_point t) { return Format(t, "%a, %d %b %Y %H:%M:%S +0000"); }
std::string Rfc3339(Clock::time_point t) { return Format(t, "%Y-%m-%dT%H:%M:%SZ"); }

// A Statuspage-style history.rss (escaped HTML, newest update first): one incident still being
// monitored, updated two minutes ago, and one resolved an hour ago.
std::string ActiveRss(const std::string& base) {
  const auto now = Clock::now();
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Chirp Status</title><link>)" +
         base + R"(</link>
<item><title>Delayed notifications</title>
<description>&lt;p&gt;&lt;small&gt;Now&lt;/small&gt;&lt;br&gt;&lt;strong&gt;Monitoring&lt;/strong&gt; - A fix is rolling out.&lt;/p&gt;&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Notifications are delayed.&lt;/p&gt;</description>
<pubDate>)" +
         Rfc822(now - 2min) + R"(</pubDate><link>)" + base + R"(incidents/n1</link><guid>)" + base +
         R"(incidents/n1</guid></item>
<item><title>Login errors</title>
<description>&lt;p&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - This incident has been resolved.&lt;/p&gt;</description>
<pubDate>)" +
         Rfc822(now - 1h) + R"(</pubDate><link>)" + base + R"(incidents/l1</link><guid>)" + base +
         R"(incidents/l1</guid></item>
</channel></rss>)";
}

// An Atom feed whose newest entry says the platform is down.
std::string OutageAtom(const std::string& base) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:deadgram</id><title>Deadgram Status</title>
<updated>)" +
         Rfc3339(Clock::now()) +
         R"(</updated>
<entry><id>tag:deadgram,2026:Incident/1</id><title>Deadgram is down for everyone</title>
<updated>)" +
         Rfc3339(Clock::now() - 1min) + R"(</updated><link rel="alternate" href=")" + base +
         R"(incidents/1"/>
<content type="html">&lt;p&gt;&lt;strong&gt;Identified&lt;/strong&gt; - Deadgram is unavailable; we are restoring service.&lt;/p&gt;</content>
</entry></feed>)";
}

class StatusFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(control_.Start({"--mode", "ok", "--body", "control ok"}, &error)) << error;
    ASSERT_TRUE(healthy_.Start({"--mode", "ok", "--body", "Welcome to Chirp"}, &error)) << error;
    ASSERT_TRUE(broken_.Start({"--mode", "503"}, &error)) << error;
  }

  // Control site, platforms and status feeds all on loopback; no real host is named.
  std::string Yaml(const std::string& platforms) {
    return "timeout: 2s\nresolvers: []\ncontrol:\n  - url: " + control_.Url() +
           "\n    expect: { body_contains: [\"control ok\"] }\nplatforms:\n" + platforms;
  }
  static std::string Platform(const std::string& id, const std::string& url,
                              const std::string& feed_url, const std::string& kind) {
    return "  " + id + ":\n    name: " + id + "\n    domain: " + id +
           "\n    dns: []\n    probes:\n      - { id: web, url: \"" + url +
           "\" }\n    status_page: { url: \"" + feed_url + "\", kind: " + kind + " }\n";
  }

  TempDir dir_;
  TestHttpd control_, healthy_, broken_;
};

TEST_F(StatusFeedTest, CheckReadsAnAtomFeedAndItsOutageConfirmsTheFailureSeenHere) {
  TestHttpd feed;
  std::string error;
  ASSERT_TRUE(
      feed.Start({"--mode", "ok", "--body", OutageAtom("https://status.deadgram.test/")}, &error))
      << error;
  auto cfg =
      dir_.Write("lifeline.yaml",
                 Yaml(Platform("deadgram", broken_.Url(), feed.Url("/history.atom"), "atom")));
  auto r = RunLifeline({"check", "deadgram", "--config", cfg, "--json"});
  EXPECT_EQ(r.code, 1) << r.out;
  json j = ParseReport(r.out);
  const json* p = FindPlatform(j, "deadgram");
  ASSERT_NE(p, nullptr) << r.out;
  EXPECT_EQ((*p)["verdict"], "outage") << r.out;
  EXPECT_EQ((*p)["status"]["indicator"], "major") << r.out;
  EXPECT_EQ((*p)["status"]["description"], "Deadgram is down for everyone") << r.out;
}

TEST_F(StatusFeedTest, CheckSaysWhyAFeedCannotBeReadAndStillJudgesFromProbes) {
  // The "feed" URL answers an HTML page (a moved feed often does).
  TestHttpd page;
  std::string error;
  ASSERT_TRUE(page.Start({"--mode", "ok", "--body", "<html><body>We moved</body></html>"}, &error))
      << error;
  auto cfg = dir_.Write("lifeline.yaml",
                        Yaml(Platform("chirp", healthy_.Url(), page.Url("/feed.rss"), "rss")));
  auto r = RunLifeline({"check", "chirp", "--config", cfg, "--json"});
  EXPECT_EQ(r.code, 0) << r.out;
  json j = ParseReport(r.out);
  const json* p = FindPlatform(j, "chirp");
  ASSERT_NE(p, nullptr) << r.out;
  EXPECT_EQ((*p)["verdict"], "up") << r.out;
  EXPECT_NE(r.out.find("not a readable RSS feed: root element is <html>"), std::string::npos)
      << r.out;
}

TEST_F(StatusFeedTest, ServeShowsTheFeedsActiveIncidentBesideOurVerdict) {
  TestHttpd feed;
  std::string error;
  ASSERT_TRUE(
      feed.Start({"--mode", "ok", "--body", ActiveRss("https://status.chirp.test/")}, &error))
      << error;
  auto loaded =
      config::LoadString(Yaml(Platform("chirp", healthy_.Url(), feed.Url("/history.rss"), "rss")),
                         dir_.File("lifeline.yaml"));
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  config::Config c = *loaded;
  std::vector<core::Platform> watched;
  for (const auto& p : c.platforms) {
    if (p.id == "chirp") watched.push_back(p);
  }
  c.platforms = watched;
  c.serve.interval = 500ms;

  auto s = store::OpenSqlite(dir_.File("lifeline.db"));
  ASSERT_TRUE(s.ok()) << s.error().message();
  std::unique_ptr<store::Store> store = std::move(*s);
  std::mutex log_mu;
  std::string log;
  serve::EngineOptions o;
  o.log = [&](std::string_view line) {
    std::lock_guard lock(log_mu);
    log += std::string(line) + "\n";
  };
  auto engine = std::make_unique<serve::Engine>(c, *store, o);
  ASSERT_TRUE(engine->Start().ok());

  json view;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto v = engine->Platform("chirp");
    if (v.ok()) view = *v;
    // Done when a round has judged the platform with the polled feed as evidence.
    if (view.is_object() && view["status_page"].is_object() &&
        view["status_page"]["fetched"] == true &&
        view["reason"].get<std::string>().find("official status") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  json pages = engine->StatusPages();
  engine->Stop();
  std::string engine_log;
  {
    std::lock_guard lock(log_mu);
    engine_log = log;
  }
  // Our own evidence (it loads here) and the platform's own word (a minor incident) side by side;
  // a minor official incident on a platform that loads is "degraded" (docs/verdicts.md).
  ASSERT_TRUE(view.is_object()) << view << engine_log;
  EXPECT_EQ(view["verdict"], "degraded") << view << engine_log;
  EXPECT_EQ(view["reason"], "official status: minor; loads here") << view;
  const std::string evidence = view["evidence"].dump();
  EXPECT_NE(evidence.find("loads here"), std::string::npos) << evidence;
  EXPECT_NE(evidence.find("official status: minor (Delayed notifications)"), std::string::npos)
      << evidence;
  const json& sp = view["status_page"];
  ASSERT_TRUE(sp.is_object()) << view;
  EXPECT_EQ(sp["fetched"], true) << sp;
  EXPECT_EQ(sp["indicator"], "minor") << sp;
  EXPECT_EQ(sp["description"], "Delayed notifications") << sp;
  ASSERT_TRUE(sp["incident"].is_object()) << sp;
  EXPECT_EQ(sp["incident"]["name"], "Delayed notifications");
  EXPECT_EQ(sp["incident"]["status"], "monitoring");
  EXPECT_EQ(sp["incident"]["url"], "https://status.chirp.test/incidents/n1");
  EXPECT_TRUE(sp["incident"]["updated_at"].is_string()) << sp;

  // GET /v1/status-pages: the page's kind and its open incidents (the resolved one is not).
  ASSERT_EQ(pages["status_pages"].size(), 1u) << pages;
  const json& page = pages["status_pages"][0];
  EXPECT_EQ(page["kind"], "rss");
  EXPECT_EQ(page["url"], feed.Url("/history.rss"));
  ASSERT_EQ(page["incidents"].size(), 1u) << page;
  EXPECT_EQ(page["incidents"][0]["name"], "Delayed notifications");
  EXPECT_EQ(page["incidents"][0]["impact"], "minor");

  // Stored, so a restart shows it before the next poll.
  auto stored = store->GetStatusPage("chirp");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->indicator, "minor");
  EXPECT_NE(stored->raw_json.find("https://status.chirp.test/incidents/n1"), std::string::npos);
}

}  // namespace
}  // namespace lifeline
