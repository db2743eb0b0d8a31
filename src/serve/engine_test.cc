// Tests for the serve engine with scripted rounds (a fake RoundRunner) and a real SQLite store:
// confirmation at once, one incident per failure domain, the key rename keeping one store id,
// nothing opened while this side is down, restart reconciliation, reports, live events, metrics.
#include "serve/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "core/temp_dir.h"
#include "serve/engine_test_util.h"

namespace lifeline::serve {
namespace {

using testing::WaitFor;

using lifeline::testing::TempDir;

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// What the scripted world says about each platform in the next rounds. Thread-safe.
class FakeWorld {
 public:
  struct Call {
    std::chrono::steady_clock::time_point at;
    std::vector<std::string> platforms;
  };

  void Set(const std::string& platform, core::Verdict v) {
    std::lock_guard lock(mu_);
    verdicts_[platform] = v;
  }
  void SetConnectivity(core::Connectivity c) {
    std::lock_guard lock(mu_);
    connectivity_ = c;
  }
  // From the round after the `rounds`-th on, `platform` reads `v`: a change timed to the rounds
  // themselves, not to a test thread that would have to notice a round in time.
  void SetAfterRounds(std::size_t rounds, const std::string& platform, core::Verdict v) {
    std::lock_guard lock(mu_);
    scheduled_.push_back({rounds, platform, v});
  }
  // While held, no round answers: what the engine shows before its first round is over.
  void Hold(bool held) {
    std::lock_guard lock(mu_);
    held_ = held;
  }
  std::vector<Call> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  // The status-page indicators the rounds were given, by platform (the last round's).
  std::map<std::string, std::string> status_seen() {
    std::lock_guard lock(mu_);
    return status_seen_;
  }

  RoundRunner Runner() {
    return [this](std::vector<core::Platform> ps,
                  const std::map<std::string, sources::StatusPageState>* status)
               -> asio::awaitable<check::RoundResult> {
      if (status) {
        std::lock_guard lock(mu_);
        for (const auto& [id, page] : *status) status_seen_[id] = page.indicator;
      }
      // A round takes a little time, as real probes do, and longer while the world is held.
      asio::steady_timer t(co_await asio::this_coro::executor, 20ms);
      co_await t.async_wait(asio::use_awaitable);
      while (held()) {
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
      }
      co_return Round(ps);
    };
  }

 private:
  bool held() {
    std::lock_guard lock(mu_);
    return held_;
  }

  check::RoundResult Round(const std::vector<core::Platform>& ps) {
    std::lock_guard lock(mu_);
    std::erase_if(scheduled_, [&](const Scheduled& c) {
      if (calls_.size() < c.after) return false;
      verdicts_[c.platform] = c.verdict;
      return true;
    });
    Call call{std::chrono::steady_clock::now(), {}};
    check::RoundResult r;
    auto& rep = r.report;
    rep.checked_at = std::chrono::system_clock::now();
    rep.observer.connectivity = connectivity_;
    rep.observer.evidence = {connectivity_ == core::Connectivity::kOk
                                 ? "2 of 2 control sites load"
                                 : "0 of 2 control sites load"};
    for (const char* name : {"eu", "us"}) {
      diagnose::VantageStatus vs;
      vs.name = name;
      vs.reachable = true;
      rep.vantage_points.push_back(vs);
    }
    for (const auto& p : ps) {
      call.platforms.push_back(p.id);
      diagnose::Diagnosis d;
      d.platform = p.id;
      d.name = p.name;
      d.domain = p.domain;
      auto it = verdicts_.find(p.id);
      d.verdict = connectivity_ != core::Connectivity::kOk ? core::Verdict::kLocalNetwork
                  : it == verdicts_.end()                  ? core::Verdict::kUp
                                                           : it->second;
      const bool failing = d.verdict == core::Verdict::kOutage;
      d.layer = failing ? core::Layer::kHttp : core::Layer::kNone;
      d.detail = failing ? "status" : "";
      d.confidence = 0.9;
      d.reason = failing ? "HTTP 503 here and from 2 of 2 vantage points" : "loads here";
      d.evidence = {d.reason};
      for (const char* from : {"here", "eu", "us"}) {
        core::ProbeResult pr;
        pr.probe_id = "web";
        pr.target = "http://127.0.0.1/" + p.id;
        pr.from = from;
        pr.ok = !failing && d.verdict != core::Verdict::kLocalNetwork;
        pr.layer = pr.ok ? core::Layer::kNone : core::Layer::kHttp;
        pr.http_status = pr.ok ? 200 : 503;
        pr.timings.total = 12.5;
        d.probes.push_back(pr);
      }
      rep.platforms.push_back(std::move(d));
    }
    calls_.push_back(std::move(call));
    return r;
  }

  struct Scheduled {
    std::size_t after;
    std::string platform;
    core::Verdict verdict;
  };

  std::mutex mu_;
  std::map<std::string, core::Verdict> verdicts_;
  std::vector<Scheduled> scheduled_;
  bool held_ = false;
  core::Connectivity connectivity_ = core::Connectivity::kOk;
  std::vector<Call> calls_;
  std::map<std::string, std::string> status_seen_;
};

config::Config TestConfig(std::chrono::milliseconds interval = 1000ms) {
  auto c = config::LoadBundled();
  EXPECT_TRUE(c.ok());
  config::Config cfg = *c;
  std::vector<core::Platform> keep;
  for (auto& p : cfg.platforms) {
    if (p.id == "facebook" || p.id == "instagram" || p.id == "whatsapp" || p.id == "x") {
      p.status_page.reset();
      keep.push_back(p);
    }
  }
  cfg.platforms = keep;
  cfg.serve.interval = interval;
  cfg.serve.jitter = 0;
  cfg.serve.machine.close_after = 2;
  return cfg;
}

struct Harness {
  explicit Harness(config::Config cfg, const std::string& db,
                   std::function<void(EngineOptions&)> tweak = {}) {
    auto s = store::OpenSqlite(db);
    EXPECT_TRUE(s.ok()) << s.error().message();
    store = std::move(*s);
    EngineOptions o;
    o.run_round = world.Runner();
    o.seed = 1;
    o.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu);
      log += std::string(line) + "\n";
    };
    if (tweak) tweak(o);
    engine = std::make_unique<Engine>(std::move(cfg), *store, o);
  }
  ~Harness() {
    if (engine) engine->Stop();
  }

  std::vector<store::Incident> Incidents() { return testing::StoredIncidents(*store); }
  std::vector<store::IncidentEvent> Events(const std::string& id) {
    return testing::StoredEvents(*store, id);
  }
  json Body() { return testing::PlatformsBody(*engine); }
  json View(const std::string& id) { return testing::PlatformView(*engine, id); }

  FakeWorld world;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Engine> engine;
  std::mutex log_mu;
  std::string log;
};

TEST(Engine, AFailingRoundIsConfirmedAtOnceNotAtTheNextInterval) {
  TempDir dir;
  config::Config cfg = TestConfig(5000ms);
  // Three observers see it, but two rounds are still needed: the second must come at once.
  cfg.serve.machine.open_after = 2;
  cfg.serve.machine.open_after_confirmed = 2;
  Harness h(cfg, dir.File("l.db"));
  h.world.Set("x", core::Verdict::kOutage);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }, 3s))
      << "the incident must open long before the next 5 s interval";
  auto calls = h.world.calls();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0].platforms.size(), 4u) << "the first round checks every platform";
  EXPECT_EQ(calls[1].platforms, std::vector<std::string>{"x"}) << "only x is re-checked";
  EXPECT_LT(calls[1].at - calls[0].at, 1s);
  auto inc = h.Incidents()[0];
  EXPECT_EQ(inc.platforms, std::vector<std::string>{"x"});
  EXPECT_EQ(inc.kind, store::IncidentKind::kPlatform);
  EXPECT_EQ(inc.state, store::IncidentState::kOpen);
  auto events = h.Events(inc.id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, "opened");
  EXPECT_THAT(events[0].message, HasSubstr("X (Twitter)"));
  // The round stores the incident first and updates the board after: wait for the board.
  ASSERT_TRUE(WaitFor([&] { return h.View("x")["incident_id"] == inc.id; })) << h.View("x");
  json view = h.View("x");
  EXPECT_EQ(view["verdict"], "outage");
  EXPECT_EQ(view["state"], "failing");
}

TEST(Engine, ConfirmationThatComesBackGoodOpensNothing) {
  TempDir dir;
  config::Config cfg = TestConfig(5000ms);
  cfg.serve.machine.open_after = 2;
  cfg.serve.machine.open_after_confirmed = 2;
  Harness h(cfg, dir.File("l.db"));
  h.world.Set("x", core::Verdict::kOutage);
  // The blip is over by the time the confirmation runs.
  h.world.SetAfterRounds(1, "x", core::Verdict::kUp);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.world.calls().size() >= 2; }, 3s));
  // The first round left x pending; the board says ok again once the confirmation is applied.
  ASSERT_TRUE(WaitFor([&] { return h.View("x")["state"] == "ok"; })) << h.View("x");
  EXPECT_TRUE(h.Incidents().empty());
}

TEST(Engine, AMetaOutageIsOneDomainIncidentThatClosesOnRecovery) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  for (const char* p : {"facebook", "instagram", "whatsapp"}) {
    h.world.Set(p, core::Verdict::kOutage);
  }
  std::vector<api::LiveEvent> live;
  std::mutex live_mu;
  auto sub = h.engine->Subscribe([&](const api::LiveEvent& e) {
    std::lock_guard lock(live_mu);
    live.push_back(e);
  });
  // The response parts' feed: what the relay and the playbook react to.
  std::vector<core::IncidentNotice> notices;
  auto feed = h.engine->SubscribeIncidents([&](const core::IncidentNotice& n) {
    std::lock_guard lock(live_mu);
    notices.push_back(n);
  });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return !h.Incidents().empty(); }));
  auto incidents = h.Incidents();
  // The incident is stored before it is published: wait until the feed has told of it.
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(live_mu);
    return !notices.empty();
  }));
  {
    // A part that subscribes while the incident is open learns of it at once.
    std::vector<core::IncidentNotice> late;
    auto late_feed =
        h.engine->SubscribeIncidents([&](const core::IncidentNotice& n) { late.push_back(n); });
    ASSERT_EQ(late.size(), 1u);
    EXPECT_EQ(late[0].change, core::IncidentNotice::Change::kOpened);
    EXPECT_EQ(late[0].incident_id, incidents[0].id);
    EXPECT_EQ(late[0].domain, "meta");
  }
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind, store::IncidentKind::kDomain);
  EXPECT_EQ(incidents[0].domain, "meta");
  EXPECT_THAT(incidents[0].platforms,
              ::testing::UnorderedElementsAre("facebook", "instagram", "whatsapp"));
  for (const char* p : {"facebook", "instagram", "whatsapp"}) {
    h.world.Set(p, core::Verdict::kUp);
  }
  ASSERT_TRUE(WaitFor([&] {
    auto i = h.Incidents();
    return i.size() == 1 && i[0].state == store::IncidentState::kClosed;
  }));
  auto events = h.Events(incidents[0].id);
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events.front().type, "opened");
  EXPECT_EQ(events.back().type, "closed");
  EXPECT_THAT(events.back().message, HasSubstr("recovered"));
  EXPECT_EQ(h.Incidents().size(), 1u) << "no second incident";
  sub.reset();
  feed.reset();
  std::lock_guard lock(live_mu);
  ASSERT_GE(notices.size(), 2u);
  EXPECT_EQ(notices.front().change, core::IncidentNotice::Change::kOpened);
  EXPECT_THAT(notices.front().platforms,
              ::testing::UnorderedElementsAre("facebook", "instagram", "whatsapp"));
  EXPECT_EQ(notices.back().change, core::IncidentNotice::Change::kClosed);
  for (const auto& n : notices) EXPECT_EQ(n.incident_id, incidents[0].id);
  std::set<std::string> types;
  for (const auto& e : live) types.insert(e.type);
  EXPECT_TRUE(types.count("platform"));
  EXPECT_TRUE(types.count("incident"));
  EXPECT_TRUE(types.count("incident_event"));
  EXPECT_TRUE(types.count("observer"));
}

// 4 October 2021 as resolvers first answered, without vantage points: SERVFAIL via every resolver
// for Facebook's and WhatsApp's names, a timeout for Instagram's; X loads. Each round is diagnosed
// from that evidence as check::Run diagnoses it: Diagnose per platform, then JudgeWithDomains.
RoundRunner MetaDnsTimeoutRunner() {
  return [](std::vector<core::Platform> ps, const std::map<std::string, sources::StatusPageState>*)
             -> asio::awaitable<check::RoundResult> {
    check::RoundResult r;
    diagnose::CheckReport& rep = r.report;
    rep.checked_at = std::chrono::system_clock::now();
    rep.observer.evidence = {"3 of 3 control sites load"};
    rep.observer.confidence = 0.94;
    for (const auto& p : ps) {
      const bool meta = p.domain == "meta";
      const std::string detail = p.id == "instagram" ? "timeout" : "servfail";
      auto probe = [&](core::ProbeKind kind, std::string target, std::string resolver) {
        core::ProbeResult pr;
        pr.kind = kind;
        pr.target = std::move(target);
        pr.resolver = std::move(resolver);
        pr.ok = !meta;
        pr.layer = meta ? core::Layer::kDns : core::Layer::kNone;
        pr.detail = meta ? detail : "";
        pr.timings.total = 12;
        return pr;
      };
      diagnose::PlatformInput in;
      in.platform = p;
      in.here = {probe(core::ProbeKind::kHttp, "https://www." + p.id + ".test/", "")};
      in.dns_here = {probe(core::ProbeKind::kDns, "dns:www." + p.id + ".test", "system")};
      in.dns_direct = {
          probe(core::ProbeKind::kDns, "dns:www." + p.id + ".test@198.51.100.9", "198.51.100.9")};
      rep.platforms.push_back(diagnose::Diagnose(rep.observer, in));
    }
    diagnose::JudgeWithDomains(rep.platforms);
    rep.domains = diagnose::CorrelateDomains(rep.platforms);
    co_return r;
  };
}

TEST(Engine, APlatformJudgedWithItsDomainIsNamedByTheDomainIncident) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"),
            [](EngineOptions& o) { o.run_round = MetaDnsTimeoutRunner(); });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return !h.Incidents().empty(); }));
  auto incidents = h.Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  EXPECT_EQ(incidents[0].kind, store::IncidentKind::kDomain);
  EXPECT_EQ(incidents[0].domain, "meta");
  EXPECT_EQ(incidents[0].verdict, core::Verdict::kOutage);
  EXPECT_THAT(incidents[0].platforms,
              ::testing::UnorderedElementsAre("facebook", "instagram", "whatsapp"));
  auto events = h.Events(incidents[0].id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().type, "opened");
  EXPECT_THAT(events.front().data_json,
              HasSubstr("Instagram: fails at DNS like facebook and whatsapp of its failure domain "
                        "meta, which are down"));
  // The round stores the incident first and updates the board after: wait for the board.
  ASSERT_TRUE(WaitFor([&] { return h.View("instagram")["incident_id"] == incidents[0].id; }))
      << h.View("instagram");
  EXPECT_EQ(h.View("instagram")["verdict"], "outage");
  EXPECT_EQ(h.View("x")["verdict"], "up");
}

TEST(Engine, APlatformIncidentBecomesItsDomainsUnderTheSameId) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  h.world.Set("instagram", core::Verdict::kOutage);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }));
  const std::string id = h.Incidents()[0].id;
  EXPECT_EQ(h.Incidents()[0].kind, store::IncidentKind::kPlatform);
  h.world.Set("facebook", core::Verdict::kOutage);
  ASSERT_TRUE(WaitFor([&] {
    auto i = h.Incidents();
    return i.size() == 1 && i[0].platforms.size() == 2;
  })) << "facebook joins the same incident";
  EXPECT_EQ(h.Incidents()[0].id, id);
  EXPECT_EQ(h.Incidents()[0].kind, store::IncidentKind::kDomain);
  EXPECT_EQ(h.Incidents()[0].domain, "meta");
  // The board follows the store at the end of the round.
  EXPECT_TRUE(WaitFor([&] { return h.View("facebook")["incident_id"] == id; }))
      << h.View("facebook");
  bool renamed = false;
  for (const auto& e : h.Events(id)) {
    if (e.type == "updated" && e.data_json.find("renamed_from") != std::string::npos)
      renamed = true;
  }
  EXPECT_TRUE(renamed);
  h.world.Set("instagram", core::Verdict::kUp);
  h.world.Set("facebook", core::Verdict::kUp);
  ASSERT_TRUE(WaitFor([&] { return h.Incidents()[0].state == store::IncidentState::kClosed; }))
      << "the renamed key still closes the stored incident";
  EXPECT_EQ(h.Incidents().size(), 1u);
}

TEST(Engine, NothingOpensWhileThisSideIsDown) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  h.world.SetConnectivity(core::Connectivity::kLocalNetwork);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.engine->rounds_completed() >= 3; }));
  EXPECT_TRUE(h.Incidents().empty());
  json body = h.Body();
  EXPECT_EQ(body["problem_here"], true);
  EXPECT_THAT(body["notice"].get<std::string>(), HasSubstr("The problem is on this side"));
  EXPECT_EQ(body["observer"]["connectivity"], "local_network");
  EXPECT_EQ(h.View("x")["verdict"], "local_network");
  EXPECT_EQ(h.View("x")["incident_id"], nullptr);
}

TEST(Engine, ARestartClosesAnIncidentWhosePlatformIsUp) {
  TempDir dir;
  std::string id;
  {
    Harness h(TestConfig(), dir.File("l.db"));
    h.world.Set("x", core::Verdict::kOutage);
    ASSERT_TRUE(h.engine->Start().ok());
    ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }));
    id = h.Incidents()[0].id;
    h.engine->Stop();
  }
  Harness h(TestConfig(), dir.File("l.db"));  // x is up now
  h.world.Hold(true);
  ASSERT_TRUE(h.engine->Start().ok());
  // Before the first round ends: the last state and the open incident come from the store.
  EXPECT_EQ(h.View("x")["verdict"], "outage");
  EXPECT_EQ(h.View("x")["incident_id"], id);
  h.world.Hold(false);
  ASSERT_TRUE(WaitFor([&] { return h.Incidents()[0].state == store::IncidentState::kClosed; }));
  auto events = h.Events(id);
  EXPECT_EQ(events.back().type, "closed");
  EXPECT_EQ(events.back().message, "closed at restart: platform up");
  EXPECT_EQ(h.Incidents().size(), 1u);
}

TEST(Engine, ARestartContinuesAnIncidentWhosePlatformStillFails) {
  TempDir dir;
  std::string id;
  {
    Harness h(TestConfig(), dir.File("l.db"));
    h.world.Set("x", core::Verdict::kOutage);
    ASSERT_TRUE(h.engine->Start().ok());
    ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }));
    id = h.Incidents()[0].id;
  }
  Harness h(TestConfig(), dir.File("l.db"));
  h.world.Set("x", core::Verdict::kOutage);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& e : h.Events(id)) {
      if (e.message.starts_with("still failing after restart")) return true;
    }
    return false;
  }));
  EXPECT_EQ(h.Incidents().size(), 1u) << "no second incident for the same outage";
  EXPECT_EQ(h.View("x")["incident_id"], id);
  h.world.Set("x", core::Verdict::kUp);
  ASSERT_TRUE(WaitFor([&] { return h.Incidents()[0].state == store::IncidentState::kClosed; }));
}

TEST(Engine, ARestartKeepsAnIncidentOpenWhileThereIsNoEvidence) {
  TempDir dir;
  std::string id;
  {
    Harness h(TestConfig(), dir.File("l.db"));
    h.world.Set("x", core::Verdict::kOutage);
    ASSERT_TRUE(h.engine->Start().ok());
    ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }));
    id = h.Incidents()[0].id;
  }
  Harness h(TestConfig(), dir.File("l.db"));
  h.world.SetConnectivity(core::Connectivity::kNoNetwork);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.engine->rounds_completed() >= 2; }));
  EXPECT_EQ(h.Incidents()[0].state, store::IncidentState::kOpen);
  EXPECT_EQ(h.View("x")["incident_id"], id);
}

TEST(Engine, ReportsCountOncePerClientAndHour) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  ASSERT_TRUE(h.engine->Start().ok());
  const std::string key(64, 'a');
  auto first = h.engine->SubmitReport("whatsapp", "messages", key);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ((*first)["accepted"], true);
  EXPECT_EQ((*first)["reports_last_hour"], 1);
  auto again = h.engine->SubmitReport("whatsapp", "login", key);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_TRUE(h.engine->SubmitReport("whatsapp", "", std::string(64, 'b')).ok());
  EXPECT_EQ(h.engine->SubmitReport("whatsap", "", key).error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(h.engine->SubmitReport("x", "rant", key).error().code(),
            core::ErrorCode::kInvalidArgument);
  auto reports = h.engine->Reports("whatsapp");
  ASSERT_TRUE(reports.ok());
  EXPECT_EQ((*reports)["platforms"][0]["reports_last_hour"], 2);
  EXPECT_EQ((*reports)["platforms"][0]["flagged"], false) << "2 reports are under min_count";
  ASSERT_TRUE(WaitFor([&] { return h.View("whatsapp")["crowd"]["reports_last_hour"] == 2; }));
}

TEST(Engine, ApiAnswersFollowTheContract) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  h.world.Set("x", core::Verdict::kOutage);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }));
  json view = h.View("x");
  for (const char* key : {"platform", "name", "domain", "verdict", "layer", "detail", "confidence",
                          "reason", "evidence", "latency_ms", "checked_at", "state", "incident_id",
                          "suppressed", "status_page", "crowd"}) {
    EXPECT_TRUE(view.contains(key)) << key;
  }
  auto one = h.engine->Platform("x");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)["probes"].size(), 3u);
  EXPECT_EQ(h.engine->Platform("nope").error().code(), core::ErrorCode::kNotFound);

  auto list = h.engine->Incidents({"open", 50, ""});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["incidents"].size(), 1u);
  EXPECT_EQ((*list)["next_cursor"], nullptr);
  json inc = (*list)["incidents"][0];
  for (const char* key : {"id", "kind", "domain", "platforms", "verdict", "state", "title",
                          "opened_at", "updated_at", "closed_at", "duration_s"}) {
    EXPECT_TRUE(inc.contains(key)) << key;
  }
  auto events = h.engine->IncidentEvents(inc["id"].get<std::string>(), 0);
  ASSERT_TRUE(events.ok());
  json ev = (*events)["events"][0];
  for (const char* key : {"seq", "at", "type", "message", "data"}) {
    EXPECT_TRUE(ev.contains(key)) << key;
  }
  EXPECT_EQ(h.engine->Incident("inc_nope").error().code(), core::ErrorCode::kNotFound);
  EXPECT_EQ(h.engine->Incidents({"sideways", 50, ""}).error().code(),
            core::ErrorCode::kInvalidArgument);

  // History: the minute aggregates of the probes from here.
  store::SampleQuery sq;
  sq.platform = "x";
  sq.range = {store::FromSystem(std::chrono::system_clock::now() - 1h),
              store::FromSystem(std::chrono::system_clock::now() + 1h)};
  ASSERT_TRUE(WaitFor([&] {
    auto samples = h.store->ListProbeSamples(sq);
    return samples.ok() && !samples->empty();
  }));
  ASSERT_TRUE(h.store->RollupMinutes(sq.range).ok());
  auto history = h.engine->History("x", std::chrono::system_clock::now() - 1h,
                                   std::chrono::system_clock::now() + 1h);
  ASSERT_TRUE(history.ok()) << history.error().message();
  EXPECT_EQ((*history)["platform"], "x");
  ASSERT_FALSE((*history)["points"].empty());
  json point = (*history)["points"][0];
  EXPECT_EQ(point["availability"], 0.0) << "x fails from here in every round";
  EXPECT_GE(point["count"].get<int>(), 1);
  for (const char* key : {"t", "count", "availability", "p50_ms", "p95_ms", "p99_ms"}) {
    EXPECT_TRUE(point.contains(key)) << key;
  }
  EXPECT_EQ(
      h.engine
          ->History("nope", std::chrono::system_clock::now() - 1h, std::chrono::system_clock::now())
          .error()
          .code(),
      core::ErrorCode::kNotFound);

  EXPECT_TRUE(h.engine->Health().ok());
  std::string metrics = h.engine->Metrics();
  EXPECT_THAT(metrics, HasSubstr("lifeline_platform_verdict{platform=\"x\",verdict=\"outage\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("lifeline_incidents_open 1"));
  EXPECT_THAT(metrics, HasSubstr("lifeline_scheduler_lateness_seconds_count"));
  EXPECT_THAT(metrics, HasSubstr("lifeline_probe_duration_seconds_bucket{platform=\"x\""));
  EXPECT_THAT(metrics, HasSubstr("lifeline_scheduler_queue"));
  EXPECT_THAT(metrics, HasSubstr("lifeline_probes_in_flight"));
  // The event loop's lag is measured while it runs (every 100 ms).
  EXPECT_TRUE(WaitFor([&] {
    const std::string m = h.engine->Metrics();
    const std::string key = "lifeline_event_loop_lag_seconds_count ";
    auto at = m.find(key);
    return at != std::string::npos && std::stoll(m.substr(at + key.size())) >= 2;
  }));

  std::promise<core::Result<json>> checked;
  h.engine->CheckNow({"x"}, [&](core::Result<json> r) { checked.set_value(std::move(r)); });
  auto fut = checked.get_future();
  ASSERT_EQ(fut.wait_for(5s), std::future_status::ready);
  auto report = fut.get();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ((*report)["platforms"][0]["verdict"], "outage");
  std::promise<core::Result<json>> unknown;
  h.engine->CheckNow({"nope"}, [&](core::Result<json> r) { unknown.set_value(std::move(r)); });
  EXPECT_EQ(unknown.get_future().get().error().code(), core::ErrorCode::kNotFound);
}

TEST(Engine, SchedulesEachPlatformOnItsInterval) {
  TempDir dir;
  config::Config cfg = TestConfig(2000ms);
  cfg.serve.intervals = {{"x", 500ms}};
  Harness h(cfg, dir.File("l.db"));
  // The rounds that checked `id`.
  auto rounds_of = [&](const std::string& id) {
    std::vector<FakeWorld::Call> of;
    for (const auto& c : h.world.calls()) {
      if (std::find(c.platforms.begin(), c.platforms.end(), id) != c.platforms.end()) {
        of.push_back(c);
      }
    }
    return of;
  };
  ASSERT_TRUE(h.engine->Start().ok());
  // Measured against facebook's own rounds rather than the wall clock, so that rounds a busy
  // machine starts late do not change the count.
  ASSERT_TRUE(WaitFor([&] { return rounds_of("facebook").size() >= 2; }));
  h.engine->Stop();
  auto facebook = rounds_of("facebook");
  // Early by at most the batch window (250 ms), when it joins a round of other platforms.
  EXPECT_GE(facebook[1].at - facebook[0].at, 1750ms);
  // x's rounds from facebook's first to just before its second: every 500 ms in those 2 s makes
  // four; three still holds when each of them starts nearly 500 ms late.
  int x = 0;
  for (const auto& c : rounds_of("x")) x += c.at >= facebook[0].at && c.at < facebook[1].at;
  EXPECT_GE(x, 3);
  EXPECT_LE(x, 5);
}

TEST(Engine, StatusPagesArePolledStoredShownAndGivenToRounds) {
  TempDir dir;
  config::Config cfg = TestConfig();
  for (auto& p : cfg.platforms) {
    if (p.id == "x")
      p.status_page = core::StatusPageRef{"https://status.x.test/api/v2/summary.json"};
  }
  std::atomic<int> fetches{0};
  auto fetch = [&](core::Platform p) -> asio::awaitable<sources::StatusPageState> {
    ++fetches;
    sources::StatusPageState s;
    s.fetched = true;
    s.indicator = "major";
    s.description = "Major Service Outage";
    s.degraded_components = {{"API", "major_outage"}};
    EXPECT_EQ(p.id, "x");
    co_return s;
  };
  Harness h(cfg, dir.File("l.db"), [&](EngineOptions& o) { o.fetch_status = fetch; });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.world.status_seen().count("x") > 0; }))
      << "rounds diagnose with the polled state";
  EXPECT_EQ(h.world.status_seen()["x"], "major");
  json pages = h.engine->StatusPages();
  ASSERT_EQ(pages["status_pages"].size(), 1u);
  json page = pages["status_pages"][0];
  EXPECT_EQ(page["platform"], "x");
  EXPECT_EQ(page["indicator"], "major");
  EXPECT_EQ(page["fetched"], true);
  EXPECT_EQ(page["components"][0]["name"], "API");
  EXPECT_TRUE(page["fetched_at"].is_string());
  EXPECT_EQ(h.View("x")["status_page"]["indicator"], "major");
  auto stored = h.store->GetStatusPage("x");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->indicator, "major");
  // Rounds go on; the page waits for its own interval.
  const std::size_t seen = h.world.calls().size();
  ASSERT_TRUE(WaitFor([&] { return h.world.calls().size() >= seen + 2; }));
  EXPECT_EQ(fetches.load(), 1) << "not more often than status_page_interval (2 min)";
}

TEST(Engine, AFeedPagesIncidentIsShownWithItsLinkAndKeptAcrossARestart) {
  TempDir dir;
  config::Config cfg = TestConfig();
  for (auto& p : cfg.platforms) {
    if (p.id == "x")
      p.status_page = core::StatusPageRef{"https://status.x.test/history.rss", "rss"};
  }
  const auto updated = std::chrono::sys_days(std::chrono::year(2026) / 11 / 27) + 4h + 31min;
  std::atomic<bool> answer{true};
  auto fetch = [&](core::Platform) -> asio::awaitable<sources::StatusPageState> {
    sources::StatusPageState s;
    if (!answer) {
      s.error = "status page https://status.x.test/history.rss: tcp timeout";
      co_return s;
    }
    s.fetched = true;
    s.indicator = "minor";
    s.description = "Posts failing to load";
    s.incidents = {{"Posts failing to load", "minor", "monitoring",
                    "https://status.x.test/incidents/p1", updated}};
    co_return s;
  };
  {
    Harness h(cfg, dir.File("l.db"), [&](EngineOptions& o) { o.fetch_status = fetch; });
    ASSERT_TRUE(h.engine->Start().ok());
    ASSERT_TRUE(WaitFor([&] { return h.View("x")["status_page"]["fetched"] == true; }));
    json incident = h.View("x")["status_page"]["incident"];
    EXPECT_EQ(incident["name"], "Posts failing to load");
    EXPECT_EQ(incident["url"], "https://status.x.test/incidents/p1");
    EXPECT_EQ(incident["updated_at"], "2026-11-27T04:31:00Z");
    json page = h.engine->StatusPages()["status_pages"][0];
    EXPECT_EQ(page["kind"], "rss");
    EXPECT_EQ(page["incidents"][0]["status"], "monitoring");
    h.engine->Stop();
  }
  // After a restart, before any poll answers, the stored state (incident included) is shown.
  answer = false;
  std::atomic<bool> may_answer{false};
  Harness h(cfg, dir.File("l.db"), [&](EngineOptions& o) {
    o.fetch_status = [&](core::Platform p) -> asio::awaitable<sources::StatusPageState> {
      // The poll answers once the test has seen the restored state.
      asio::steady_timer t(co_await asio::this_coro::executor);
      while (!may_answer) {
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
      }
      co_return co_await fetch(p);
    };
  });
  ASSERT_TRUE(h.engine->Start().ok());
  json sp = h.View("x")["status_page"];
  EXPECT_EQ(sp["indicator"], "minor") << sp;
  EXPECT_EQ(sp["incident"]["url"], "https://status.x.test/incidents/p1") << sp;
  EXPECT_EQ(sp["incident"]["updated_at"], "2026-11-27T04:31:00Z") << sp;
  may_answer = true;
  // A failed poll replaces it: the page could not be read, and no stale incident is shown.
  ASSERT_TRUE(WaitFor([&] { return h.View("x")["status_page"]["fetched"] == false; }));
  EXPECT_TRUE(h.View("x")["status_page"]["incident"].is_null());
}

TEST(Engine, ACrowdSpikeIsEvidenceOnThePlatformAndItsIncident) {
  TempDir dir;
  config::Config cfg = TestConfig();
  cfg.crowd.min_count = 3;
  cfg.crowd.floor = 0.5;
  cfg.crowd.factor = 2;
  Harness h(cfg, dir.File("l.db"));
  h.world.Set("whatsapp", core::Verdict::kOutage);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }));
  const std::string id = h.Incidents()[0].id;
  for (char c : std::string("abc")) {
    ASSERT_TRUE(h.engine->SubmitReport("whatsapp", "messages", std::string(64, c)).ok());
  }
  ASSERT_TRUE(WaitFor([&] { return h.View("whatsapp")["crowd"]["flagged"] == true; }));
  json view = h.View("whatsapp");
  bool line = false;
  for (const auto& e : view["evidence"]) {
    line = line || e.get<std::string>().starts_with("crowd reports: 3 reports");
  }
  EXPECT_TRUE(line) << view.dump();
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& e : h.Events(id)) {
      if (e.type == "evidence" && e.message.find("crowd reports for WhatsApp") == 0) return true;
    }
    return false;
  }));
  EXPECT_EQ(h.View("x")["crowd"]["flagged"], false);
}

// Measured reports (the dashboard's device check, store/device_reports.h): the failing ones count
// with the typed reports, and all of them show as their own evidence line.
TEST(Engine, MeasuredReportsCountWithTheCrowdAndAreTheirOwnEvidenceLine) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  ASSERT_TRUE(h.engine->Start().ok());
  const auto now = store::FromSystem(std::chrono::system_clock::now());
  auto key = [&](std::string what) {
    auto k = h.store->ClientKey(what, now);
    EXPECT_TRUE(k.ok());
    return k.ok() ? *k : std::string();
  };
  store::MeasuredReport down;
  down.platform = "whatsapp";
  down.device_key = key("device:phone-1");
  down.address_key = key("address:a");
  down.at = now;
  down.reached = false;
  down.controls_ok = down.controls_total = 3;
  down.connection = "cellular";
  store::MeasuredReport up = down;
  up.device_key = key("device:phone-2");
  up.reached = true;
  up.best_ms = 80;
  up.connection = "wifi";
  ASSERT_TRUE(h.store->DeviceReports().Add(down, 20).ok());
  ASSERT_TRUE(h.store->DeviceReports().Add(up, 20).ok());
  ASSERT_TRUE(h.engine->SubmitReport("whatsapp", "messages", std::string(64, 'a')).ok());
  const std::string line =
      "2 measured reports from devices in the last hour: 1 could not reach WhatsApp while "
      "reaching other sites (1 on mobile data), 1 reached it";
  ASSERT_TRUE(WaitFor([&] {
    json v = h.View("whatsapp");
    for (const auto& e : v["evidence"]) {
      if (e == line) return true;
    }
    return false;
  })) << h.View("whatsapp").dump();
  json crowd = h.View("whatsapp")["crowd"];
  EXPECT_EQ(crowd["reports_last_hour"], 2) << "one typed and the measured one that failed";
  EXPECT_EQ(crowd["measured"]["reports"], 2);
  EXPECT_EQ(crowd["measured"]["unreachable"], 1);
  EXPECT_EQ(crowd["measured"]["evidence"], line);
  // Other platforms have none, and say nothing about it.
  EXPECT_EQ(h.View("x")["crowd"]["measured"]["reports"], 0);
  for (const auto& e : h.View("x")["evidence"]) {
    EXPECT_EQ(e.get<std::string>().find("measured"), std::string::npos) << e;
  }
}

TEST(Engine, AMaintenanceWindowKeepsTheIncidentClosedAndSaysWhy) {
  TempDir dir;
  config::Config cfg = TestConfig();
  watch::Silence m;
  m.name = "X planned work";
  m.kind = watch::SilenceKind::kMaintenance;
  m.platforms = {"x"};
  m.start = std::chrono::system_clock::now() - 1h;
  m.end = std::chrono::system_clock::now() + 1h;
  cfg.silences = {m};
  Harness h(cfg, dir.File("l.db"));
  h.world.Set("x", core::Verdict::kOutage);
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.engine->rounds_completed() >= 3; }));
  EXPECT_TRUE(h.Incidents().empty());
  json view = h.View("x");
  EXPECT_EQ(view["verdict"], "outage") << "the evidence is still shown";
  ASSERT_TRUE(view["suppressed"].is_object()) << view.dump();
  EXPECT_EQ(view["suppressed"]["name"], "X planned work");
  EXPECT_EQ(view["suppressed"]["kind"], "maintenance");
  EXPECT_EQ(h.View("facebook")["suppressed"], nullptr);
}

TEST(Engine, StopDrainsAndWritesSamples) {
  TempDir dir;
  Harness h(TestConfig(), dir.File("l.db"));
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.engine->rounds_completed() >= 1; }));
  h.engine->Stop();
  store::SampleQuery q;
  q.platform = "x";
  q.range = {store::FromSystem(std::chrono::system_clock::now() - 1h),
             store::FromSystem(std::chrono::system_clock::now() + 1h)};
  auto samples = h.store->ListProbeSamples(q);
  ASSERT_TRUE(samples.ok());
  EXPECT_GE(samples->size(), 3u) << "here and both vantage points, written at stop";
  auto state = h.store->GetPlatformState("x");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->verdict, core::Verdict::kUp);
}

}  // namespace
}  // namespace lifeline::serve
