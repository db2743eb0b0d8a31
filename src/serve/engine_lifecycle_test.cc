// Engine tests of an incident's life across many rounds, with a per-round script of verdicts and a
// real SQLite store: a flapping platform is one `flapping` incident, a verdict that keeps changing
// is no storm of updates, and after a restart a stored incident closes after `close_after` rounds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "core/temp_dir.h"
#include "serve/engine.h"
#include "serve/engine_test_util.h"

namespace lifeline::serve {
namespace {

using testing::WaitFor;

using lifeline::testing::TempDir;

namespace asio = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// Verdict of `platform` in its `round`-th round (0-based, counting every round it was in,
// confirmations included). Called on the engine's thread.
using Script = std::function<core::Verdict(const std::string& platform, int round)>;

// Rounds whose verdicts follow a script. Failing platforms fail here and at two vantage points
// (three independent observers); a `local_network` verdict makes the whole round say that this
// side is down. Thread-safe.
class ScriptedWorld {
 public:
  explicit ScriptedWorld(Script script) : script_(std::move(script)) {}

  int rounds_of(const std::string& platform) {
    std::lock_guard lock(mu_);
    return counts_[platform];
  }
  // Called at the start of each round with the platforms in it (before the verdicts are made).
  void OnRound(std::function<void(const std::vector<std::string>&)> f) {
    std::lock_guard lock(mu_);
    on_round_ = std::move(f);
  }

  RoundRunner Runner() {
    return [this](std::vector<core::Platform> ps,
                  const std::map<std::string, sources::StatusPageState>*)
               -> asio::awaitable<check::RoundResult> {
      asio::steady_timer t(co_await asio::this_coro::executor, 5ms);
      co_await t.async_wait(asio::use_awaitable);
      co_return Round(ps);
    };
  }

 private:
  check::RoundResult Round(const std::vector<core::Platform>& ps) {
    std::function<void(const std::vector<std::string>&)> hook;
    {
      std::lock_guard lock(mu_);
      hook = on_round_;
    }
    if (hook) {
      std::vector<std::string> ids;
      for (const auto& p : ps) ids.push_back(p.id);
      hook(ids);
    }
    std::lock_guard lock(mu_);
    check::RoundResult r;
    auto& rep = r.report;
    rep.checked_at = std::chrono::system_clock::now();
    std::vector<core::Verdict> verdicts;
    bool here_down = false;
    for (const auto& p : ps) {
      verdicts.push_back(script_(p.id, counts_[p.id]++));
      here_down = here_down || verdicts.back() == core::Verdict::kLocalNetwork;
    }
    rep.observer.connectivity =
        here_down ? core::Connectivity::kLocalNetwork : core::Connectivity::kOk;
    rep.observer.evidence = {here_down ? "0 of 2 control sites load" : "2 of 2 control sites load"};
    for (const char* name : {"eu", "us"}) {
      diagnose::VantageStatus vs;
      vs.name = name;
      vs.reachable = true;
      rep.vantage_points.push_back(vs);
    }
    for (std::size_t k = 0; k < ps.size(); ++k) {
      const auto& p = ps[k];
      diagnose::Diagnosis d;
      d.platform = p.id;
      d.name = p.name;
      d.domain = p.domain;
      d.verdict = here_down ? core::Verdict::kLocalNetwork : verdicts[k];
      const bool failing = d.verdict == core::Verdict::kOutage;
      d.layer = failing ? core::Layer::kTcp : core::Layer::kNone;
      d.detail = failing ? "refused" : "";
      d.confidence = 0.9;
      d.reason = failing ? "connection refused here and from 2 of 2 vantage points" : "loads here";
      d.evidence = {d.reason};
      for (const char* from : {"here", "eu", "us"}) {
        core::ProbeResult pr;
        pr.probe_id = "web";
        pr.target = "https://" + p.id + ".test/";
        pr.from = from;
        pr.ok = d.verdict == core::Verdict::kUp;
        pr.layer = failing ? core::Layer::kTcp : core::Layer::kNone;
        pr.timings.total = 3.0;
        d.probes.push_back(pr);
      }
      rep.platforms.push_back(std::move(d));
    }
    return r;
  }

  std::mutex mu_;  // guards counts_ and on_round_; script_ is called under it
  Script script_;
  std::map<std::string, int> counts_;
  std::function<void(const std::vector<std::string>&)> on_round_;
};

// The four platforms of the test world, no status pages, no jitter.
config::Config TestConfig(std::chrono::milliseconds interval) {
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
  return cfg;
}

struct Harness {
  // `shared`: one of several instances on the store (EngineOptions::shared).
  Harness(config::Config cfg, const std::string& db, Script script, bool shared = false)
      : world(std::move(script)) {
    auto s = store::OpenSqlite(db);
    EXPECT_TRUE(s.ok()) << s.error().message();
    store = std::move(*s);
    EngineOptions o;
    o.run_round = world.Runner();
    o.seed = 1;
    o.shared = shared;
    o.shared_refresh = 50ms;
    engine = std::make_unique<Engine>(std::move(cfg), *store, o);
  }
  ~Harness() {
    if (engine) engine->Stop();
  }

  std::vector<store::Incident> Incidents() { return testing::StoredIncidents(*store); }
  std::vector<store::IncidentEvent> Events(const std::string& id) {
    return testing::StoredEvents(*store, id);
  }
  json View(const std::string& id) { return testing::PlatformView(*engine, id); }

  ScriptedWorld world;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Engine> engine;
};

core::Verdict Up(const std::string&, int) { return core::Verdict::kUp; }

TEST(EngineLifecycle, APlatformThatKeepsFailingAndRecoveringIsOneFlappingIncident) {
  TempDir dir;
  config::Config cfg = TestConfig(100ms);
  cfg.serve.machine.open_after = 2;
  cfg.serve.machine.open_after_confirmed = 1;  // three observers: one failing round opens
  cfg.serve.machine.close_after = 2;
  cfg.serve.machine.flapping_transitions = 4;
  cfg.serve.machine.flapping_window = 10min;
  // X fails one round in three: open, close after two good rounds, open again, ... Every other
  // platform stays up.
  Harness h(cfg, dir.File("l.db"), [](const std::string& p, int round) {
    if (p != "x") return core::Verdict::kUp;
    return round % 3 == 0 ? core::Verdict::kOutage : core::Verdict::kUp;
  });
  ASSERT_TRUE(h.engine->Start().ok());
  // 15 outages of X: without flapping detection, 15 incidents.
  ASSERT_TRUE(WaitFor([&] { return h.world.rounds_of("x") >= 45; }, 30s));
  h.engine->Stop();

  auto incidents = h.Incidents();
  std::sort(incidents.begin(), incidents.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });  // ids sort by opening
  std::vector<store::Incident> flapping, others;
  for (const auto& inc : incidents) {
    (inc.kind == store::IncidentKind::kFlapping ? flapping : others).push_back(inc);
  }
  ASSERT_EQ(flapping.size(), 1u) << "one flapping incident, whatever the number of outages";
  const store::Incident& f = flapping[0];
  EXPECT_EQ(f.platforms, std::vector<std::string>{"x"});
  EXPECT_EQ(f.state, store::IncidentState::kOpen) << "it keeps flapping: the incident stays open";
  EXPECT_EQ(f.verdict, core::Verdict::kOutage) << "the worst of its failing rounds";
  // Before the 4th open-or-close the platform had ordinary incidents: two (open, close, open,
  // close), the second superseded by the flapping one. None after.
  ASSERT_EQ(others.size(), 2u) << "no storm of incidents";
  for (const auto& inc : others) {
    EXPECT_EQ(inc.platforms, std::vector<std::string>{"x"});
    EXPECT_EQ(inc.state, store::IncidentState::kClosed);
    EXPECT_LE(inc.opened_at, f.opened_at);
  }
  auto superseded = h.Events(others.back().id);
  ASSERT_FALSE(superseded.empty());
  EXPECT_EQ(superseded.back().type, "closed");
  EXPECT_THAT(superseded.back().message, HasSubstr("superseded by flapping:x"));
  // The flapping incident's timeline is not a storm either: ~13 further outages added nothing.
  auto events = h.Events(f.id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, "opened");
  EXPECT_THAT(events[0].message, HasSubstr("keeps failing and recovering"));
  EXPECT_LE(events.size(), 2u);
  json view = h.View("x");
  EXPECT_EQ(view["state"], "flapping");
  EXPECT_EQ(view["incident_id"], f.id);
  EXPECT_EQ(h.View("facebook")["incident_id"], nullptr);
}

TEST(EngineLifecycle, AnIncidentWhoseVerdictKeepsChangingIsNoStormOfUpdates) {
  TempDir dir;
  config::Config cfg = TestConfig(100ms);
  cfg.serve.machine.flapping_transitions = 4;
  // One vantage point comes and goes: outage, regional outage, outage, ... every round.
  Harness h(cfg, dir.File("l.db"), [](const std::string& p, int round) {
    if (p != "x") return core::Verdict::kUp;
    return round % 2 == 0 ? core::Verdict::kOutage : core::Verdict::kRegionalOutage;
  });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.world.rounds_of("x") >= 30; }, 30s));
  h.engine->Stop();
  auto incidents = h.Incidents();
  ASSERT_EQ(incidents.size(), 1u);
  auto events = h.Events(incidents[0].id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].type, "opened");
  int updates = 0;
  for (const auto& e : events) updates += e.type == "updated";
  EXPECT_EQ(updates, 4) << "at most flapping_transitions updates per window, not one per round";
  EXPECT_EQ(h.View("x")["state"], "failing");
}

// Opens an incident over X in a first run and stops; returns its id.
std::string OpenXAndStop(const std::string& db) {
  Harness h(TestConfig(100ms), db, [](const std::string& p, int) {
    return p == "x" ? core::Verdict::kOutage : core::Verdict::kUp;
  });
  EXPECT_TRUE(h.engine->Start().ok());
  EXPECT_TRUE(WaitFor([&] { return h.Incidents().size() == 1; }, 15s));
  auto incidents = h.Incidents();
  return incidents.empty() ? "" : incidents[0].id;
}

TEST(EngineLifecycle, AfterARestartAnIncidentClosesAfterCloseAfterGoodRounds) {
  TempDir dir;
  const std::string id = OpenXAndStop(dir.File("l.db"));
  ASSERT_FALSE(id.empty());

  config::Config cfg = TestConfig(100ms);
  cfg.serve.machine.close_after = 3;
  Harness h(cfg, dir.File("l.db"), Up);  // X has recovered while serve was down
  // At the start of each round of X: is the stored incident still open? (The previous round of X
  // has been applied by then: one platform's rounds never overlap.)
  std::mutex mu;
  std::vector<bool> open_before;  // [k]: before X's k-th round after the restart
  h.world.OnRound([&](const std::vector<std::string>& ids) {
    if (std::find(ids.begin(), ids.end(), "x") == ids.end()) return;
    auto inc = h.store->GetIncident(id);
    std::lock_guard lock(mu);
    open_before.push_back(inc.ok() && inc->state == store::IncidentState::kOpen);
  });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.world.rounds_of("x") >= 5; }, 15s));
  h.engine->Stop();
  std::lock_guard lock(mu);
  ASSERT_GE(open_before.size(), 5u);
  EXPECT_TRUE(open_before[0]);
  EXPECT_TRUE(open_before[1]) << "one good round after the restart must not close it";
  EXPECT_TRUE(open_before[2]) << "nor two (close_after is 3)";
  EXPECT_FALSE(open_before[3]) << "the third good round closes it";
  auto events = h.Events(id);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().type, "closed");
  EXPECT_EQ(events.back().message, "closed at restart: platform up");
  EXPECT_THAT(events.back().data_json, HasSubstr("\"good_rounds\":3"));
  EXPECT_EQ(h.Incidents().size(), 1u);
}

TEST(EngineLifecycle, AfterARestartRoundsWithoutEvidenceDoNotCountTowardsClosing) {
  TempDir dir;
  const std::string id = OpenXAndStop(dir.File("l.db"));
  ASSERT_FALSE(id.empty());

  config::Config cfg = TestConfig(100ms);
  cfg.serve.machine.close_after = 2;
  // Up, this side down (no evidence), up: two good rounds, the second of which closes it.
  Harness h(cfg, dir.File("l.db"), [](const std::string&, int round) {
    return round == 1 ? core::Verdict::kLocalNetwork : core::Verdict::kUp;
  });
  std::mutex mu;
  std::vector<bool> open_before;
  h.world.OnRound([&](const std::vector<std::string>& ids) {
    if (std::find(ids.begin(), ids.end(), "x") == ids.end()) return;
    auto inc = h.store->GetIncident(id);
    std::lock_guard lock(mu);
    open_before.push_back(inc.ok() && inc->state == store::IncidentState::kOpen);
  });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.world.rounds_of("x") >= 4; }, 15s));
  h.engine->Stop();
  std::lock_guard lock(mu);
  ASSERT_GE(open_before.size(), 4u);
  EXPECT_TRUE(open_before[1]) << "after one good round";
  EXPECT_TRUE(open_before[2]) << "a round that says nothing about X neither closes nor counts";
  EXPECT_FALSE(open_before[3]) << "the second good round closes it";
}

TEST(EngineLifecycle, AfterARestartAFailingRoundStartsTheCountAgain) {
  TempDir dir;
  const std::string id = OpenXAndStop(dir.File("l.db"));
  ASSERT_FALSE(id.empty());

  config::Config cfg = TestConfig(100ms);
  cfg.serve.machine.close_after = 2;
  cfg.serve.machine.open_after = 3;
  cfg.serve.machine.open_after_confirmed = 3;  // one failing round opens (continues) nothing
  // Up, outage, up, up.
  Harness h(cfg, dir.File("l.db"), [](const std::string& p, int round) {
    return p == "x" && round == 1 ? core::Verdict::kOutage : core::Verdict::kUp;
  });
  std::mutex mu;
  std::vector<bool> open_before;
  h.world.OnRound([&](const std::vector<std::string>& ids) {
    if (std::find(ids.begin(), ids.end(), "x") == ids.end()) return;
    auto inc = h.store->GetIncident(id);
    std::lock_guard lock(mu);
    open_before.push_back(inc.ok() && inc->state == store::IncidentState::kOpen);
  });
  ASSERT_TRUE(h.engine->Start().ok());
  ASSERT_TRUE(WaitFor([&] { return h.world.rounds_of("x") >= 5; }, 15s));
  h.engine->Stop();
  std::lock_guard lock(mu);
  ASSERT_GE(open_before.size(), 5u);
  // Up, outage (its confirmation at once: up), up: the failing round reset the count.
  for (int k = 0; k <= 3; ++k) {
    EXPECT_TRUE(open_before[k]) << "before round " << k;
  }
  EXPECT_FALSE(open_before[4]) << "two good rounds after the failing one close it";
  EXPECT_EQ(h.Incidents().size(), 1u);
}

// Two instances on one database (serve/cluster.h gives each its leases; here the test does): each
// runs only its platforms and shows the other's from the store; an incident handed over is carried
// on by its new owner, never closed by the handover nor opened twice.
TEST(EngineLifecycle, SharedEnginesRunOnlyTheirPlatformsAndCarryAnIncidentOnAcrossAHandover) {
  TempDir dir;
  config::Config cfg = TestConfig(100ms);
  cfg.serve.machine.open_after = 1;
  cfg.serve.machine.open_after_confirmed = 1;
  cfg.serve.machine.close_after = 2;
  std::atomic<bool> x_down{true};
  Script script = [&](const std::string& p, int) {
    return p == "x" && x_down ? core::Verdict::kOutage : core::Verdict::kUp;
  };
  Harness a(cfg, dir.File("l.db"), script, /*shared=*/true);
  Harness b(cfg, dir.File("l.db"), script, /*shared=*/true);
  std::mutex mu;
  std::vector<core::IncidentNotice> seen_by_b;
  auto feed = b.engine->SubscribeIncidents([&](const core::IncidentNotice& n) {
    std::lock_guard lock(mu);
    seen_by_b.push_back(n);
  });
  auto b_saw = [&](const std::string& id, bool here) {
    std::lock_guard lock(mu);
    return std::any_of(seen_by_b.begin(), seen_by_b.end(), [&](const core::IncidentNotice& n) {
      return n.incident_id == id && n.here == here;
    });
  };
  a.engine->SetOwned({"x"});
  b.engine->SetOwned({"facebook", "instagram", "whatsapp"});
  ASSERT_TRUE(a.engine->Start().ok());
  ASSERT_TRUE(b.engine->Start().ok());

  ASSERT_TRUE(WaitFor([&] { return a.Incidents().size() == 1; }, 10s));
  const store::Incident inc = a.Incidents()[0];
  EXPECT_EQ(inc.platforms, std::vector<std::string>{"x"});
  ASSERT_TRUE(
      WaitFor([&] { return a.world.rounds_of("x") >= 3 && b.world.rounds_of("facebook") >= 3; }));
  EXPECT_EQ(b.world.rounds_of("x"), 0) << "x is a's";
  EXPECT_EQ(a.world.rounds_of("facebook"), 0) << "facebook is b's";
  // b shows x as a stored it, and its parts know of the incident as another instance's.
  EXPECT_TRUE(WaitFor([&] {
    json v = b.View("x");
    return v["incident_id"] == inc.id && v["verdict"] == "outage" && v["state"] == "failing";
  })) << b.View("x");
  EXPECT_TRUE(WaitFor([&] { return b_saw(inc.id, /*here=*/false); }));
  EXPECT_FALSE(b_saw(inc.id, /*here=*/true));
  // Crowd reports about x, received by any instance, flag it on b's board too.
  for (int k = 0; k < 12; ++k) {
    store::CrowdReport r;
    r.platform = "x";
    r.at = store::FromSystem(std::chrono::system_clock::now());
    auto key = a.store->ClientKey("198.51.100." + std::to_string(k + 1), r.at);
    ASSERT_TRUE(key.ok());
    r.client_key = *key;
    auto added = a.store->AddReport(r);
    ASSERT_TRUE(added.ok()) << added.error().ToString();
  }
  EXPECT_TRUE(WaitFor([&] {
    json c = b.View("x")["crowd"];
    return c["reports_last_hour"] == 12 && c["flagged"] == true;
  })) << b.View("x")["crowd"];

  // The handover, two seconds into the incident: b takes x over and carries the incident on.
  ASSERT_TRUE(WaitFor([&] { return std::chrono::system_clock::now() - inc.opened_at >= 2s; }, 5s));
  a.engine->SetOwned({});
  b.engine->SetOwned({"facebook", "instagram", "whatsapp", "x"});
  EXPECT_TRUE(WaitFor([&] {
    for (const auto& e : b.Events(inc.id)) {
      if (e.message.find("still failing, taken over from another instance") == 0) return true;
    }
    return false;
  })) << "the incident is continued by its new owner";
  EXPECT_TRUE(WaitFor([&] { return b_saw(inc.id, /*here=*/true); }))
      << "b's parts act on it from now on";
  const int a_rounds = a.world.rounds_of("x");
  ASSERT_TRUE(WaitFor([&] { return b.world.rounds_of("x") >= 3; }));
  EXPECT_LE(a.world.rounds_of("x"), a_rounds + 1) << "a runs x no more (one round may end late)";
  ASSERT_EQ(b.Incidents().size(), 1u) << "not opened again";
  EXPECT_EQ(b.Incidents()[0].state, store::IncidentState::kOpen) << "not closed by the handover";

  // Restored: b closes it; still the one incident.
  x_down = false;
  EXPECT_TRUE(WaitFor([&] {
    auto all = b.Incidents();
    return all.size() == 1 && all[0].state == store::IncidentState::kClosed;
  }));
  EXPECT_TRUE(WaitFor([&] { return a.View("x")["incident_id"].is_null(); })) << a.View("x");
  // Its duration counts from when a opened it, not from the takeover.
  const auto events = b.Events(inc.id);
  ASSERT_FALSE(events.empty());
  const store::IncidentEvent& closed = events.back();
  ASSERT_EQ(closed.type, "closed");
  json data = json::parse(closed.data_json);
  EXPECT_EQ(data["started"], core::FormatTime(inc.opened_at)) << closed.data_json;
  EXPECT_GE(data["duration_s"].get<int>(), 2) << closed.message;
}

// Taking platforms over from a live instance (one joining, one leaving cleanly) starts no burst:
// the platforms keep their place in the rhythm, and only one in an incident (or failing when
// stored) runs at once.
TEST(EngineLifecycle, ATakeoverRunsAtOnceOnlyThePlatformsInTrouble) {
  TempDir dir;
  config::Config cfg = TestConfig(6s);
  cfg.serve.machine.open_after = 1;
  cfg.serve.machine.open_after_confirmed = 1;
  Script script = [](const std::string& p, int) {
    return p == "x" ? core::Verdict::kOutage : core::Verdict::kUp;
  };
  Harness a(cfg, dir.File("l.db"), script, /*shared=*/true);
  Harness b(cfg, dir.File("l.db"), script, /*shared=*/true);
  std::mutex mu;
  std::vector<std::vector<std::string>> b_rounds;
  b.world.OnRound([&](const std::vector<std::string>& ids) {
    std::lock_guard lock(mu);
    b_rounds.push_back(ids);
  });
  const std::vector<std::string> all = {"facebook", "instagram", "whatsapp", "x"};
  a.engine->SetOwned(all);
  b.engine->SetOwned({});
  ASSERT_TRUE(a.engine->Start().ok());
  ASSERT_TRUE(b.engine->Start().ok());
  // a's first round: x fails and its incident opens; b sees it from the store.
  ASSERT_TRUE(WaitFor([&] { return b.View("x")["state"] == "failing"; }, 5s)) << b.View("x");
  a.engine->SetOwned({});
  b.engine->SetOwned(all);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return !b_rounds.empty();
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(b_rounds[0], std::vector<std::string>{"x"})
      << "only the platform in an incident runs at once; the others at their next slot";
}

}  // namespace
}  // namespace lifeline::serve
