// The playbook engine's promptness (issue 9: "a plan step that needs nothing from outside runs
// within 100 ms of its trigger; with 100 platforms failing at once, the engine keeps every timer
// within 1 s of its due time"), with the real Engine on a SQLite store in a temporary folder, the
// real clock, and a Messenger that accepts every message at once (no relay, no network):
//
//   (a) first step: N incidents one after the other; from IncidentNotice (Engine::OnIncident) to
//       the first step's record (its playbook_step_done event, stored), and to the step's message
//       reaching the Messenger;
//   (b) a regional cut: P platforms' incidents published at the same moment; each response
//       notifies, gives a task (escalation after 5 s) and asks an approval (timeout 5 s, escalated)
//       — four escalation timers per incident, P*2 due together 5 s later and P*2 more 5 s after
//       that. The lateness of every timer (due -> handler start, as timers::Lateness counts it);
//       beside the peer: the same number of timers with the same due times on a bare
//       timers::Scheduler (fresh SQLite store, handlers that do nothing). The ratio is what the
//       engine's work in each handler costs the timers behind it.
//
//   playbook_timers [--n 200] [--platforms 100] [--runs 5]
//
// Prints one line per run and the medians over runs.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "channels/config.h"
#include "channels/http.h"
#include "config/config.h"
#include "core/temp_dir.h"
#include "playbook/engine.h"
#include "playbook/plan.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace {

using namespace lifeline;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

[[noreturn]] void Die(const std::string& what) {
  fmt::print(stderr, "playbook_timers: {}\n", what);
  std::exit(1);
}

long Arg(int argc, char** argv, std::string_view name, long def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::atol(argv[i + 1]);
  }
  return def;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}
double Max(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

// The config: `solo` (domain solo) for (a), P platforms of one failure domain for (b), webhook
// channels on a closed loopback port that nothing ever sends to (the Messenger below takes every
// message), and the plan.
std::string ConfigYaml(int platforms) {
  std::string y =
      "resolvers: []\nplatforms:\n  solo: { name: Solo, domain: solo, dns: [solo.invalid] }\n";
  for (int i = 0; i < platforms; ++i) {
    y += fmt::format(
        "  r{0:03}: {{ name: Region {0:03}, domain: regional, dns: [r{0:03}.invalid] }}\n", i);
  }
  y += R"(channels:
  team-hook: { type: webhook, endpoint: "http://127.0.0.1:9/team", secret: { env: LL_BENCH_SECRET } }
  brand-hook: { type: webhook, endpoint: "http://127.0.0.1:9/brand", secret: { env: LL_BENCH_SECRET } }
contacts:
  ana: { name: Ana Lima, points: [ { channel: team-hook, to: ana } ] }
  bo: { name: Bo Chen, points: [ { channel: team-hook, to: bo } ] }
  cy: { name: Cy Diaz, points: [ { channel: team-hook, to: cy } ] }
plan:
  name: Benchmark plan
  roles:
    community_manager:
    comms_lead:
    superior:
  team:
    ana: { contact: ana, roles: [community_manager] }
    bo: { contact: bo, roles: [comms_lead] }
    cy: { contact: cy, roles: [superior] }
  inventory:
    site: { channel: brand-hook, audience: 1000, primary: true }
  escalation:
    five: { after: 5s, to: [comms_lead] }
  responses:
    first-step:
      trigger: { platforms: [solo] }
      steps:
        - { id: alert, notify: { to: community_manager, text: "{platform} is down since {time}" } }
    regional-cut:
      trigger: { domains: [regional] }
      steps:
        - { id: alert, notify: { to: community_manager, text: "{platform} is down since {time}" } }
        - { id: check, task: { title: Check the region, role: community_manager, escalation: five } }
        - id: approve
          approve: { role: superior, what: Move the budget, timeout: 5s, escalation: five }
)";
  return y;
}

// Accepts every message at once, as a relay whose outbox write is free would; notes when the
// first message of each incident arrived.
class InstantMessenger final : public playbook::Messenger {
 public:
  core::Result<playbook::SentMessage> Send(const playbook::OutgoingMessage& m) override {
    const auto now = Steady::now();
    std::lock_guard lock(mu_);
    first_.try_emplace(m.incident_id, now);
    return playbook::SentMessage{"team-hook", m.text, true};
  }
  std::map<std::string, Steady::time_point> First() const {
    std::lock_guard lock(mu_);
    return first_;
  }

 private:
  mutable std::mutex mu_;  // guards first_
  std::map<std::string, Steady::time_point> first_;
};

// One store + scheduler + engine in a folder of its own.
struct Rig {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<timers::Scheduler> scheduler;
  InstantMessenger messenger;
  std::unique_ptr<playbook::Engine> engine;
  std::unique_ptr<core::Subscription> timeline;

  std::mutex mu;  // guards what the observers below fill in
  std::condition_variable cv;
  std::map<std::string, Steady::time_point> step_done;     // incident -> its first step's record
  std::vector<double> lateness_ms;                         // every timer fired
  std::vector<std::pair<std::string, store::Time>> fired;  // kind, due

  Rig(const lifeline::testing::TempDir& dir, const std::string& name, const playbook::Plan& plan) {
    auto s = store::OpenSqlite(dir.File(name + ".db"));
    if (!s.ok()) Die(s.error().ToString());
    store = std::move(*s);
    timers::SchedulerOptions so;
    so.worker_id = name;
    scheduler = std::make_unique<timers::Scheduler>(&store->Timers(), so);
    scheduler->SetObserver([this](const timers::Firing& f) {
      std::lock_guard lock(mu);
      lateness_ms.push_back(static_cast<double>(f.lateness.count()));
      fired.emplace_back(f.timer.kind, f.timer.due);
      cv.notify_all();
    });
    playbook::EngineOptions eo;
    eo.log = [](std::string_view line) { fmt::print(stderr, "  engine: {}\n", line); };
    engine = std::make_unique<playbook::Engine>(plan, *store, *scheduler, messenger, std::move(eo));
    timeline = engine->Subscribe([this](const store::IncidentEvent& e) {
      if (e.type != "playbook_step_done" ||
          e.data_json.find("\"step\":\"alert\"") == std::string::npos) {
        return;
      }
      const auto now = Steady::now();
      std::lock_guard lock(mu);
      step_done.try_emplace(e.incident_id, now);
      cv.notify_all();
    });
    if (auto st = engine->Start(); !st.ok()) Die(st.error().ToString());
    if (auto st = scheduler->Start(); !st.ok()) Die(st.error().ToString());
  }
  ~Rig() {
    scheduler->Stop();
    engine->Stop();
    timeline.reset();
  }

  // Stores an opened incident on `platform` and returns the notice serve would publish for it.
  core::IncidentNotice Open(const std::string& platform, const std::string& domain) {
    store::NewIncident ni;
    ni.kind = store::IncidentKind::kPlatform;
    ni.domain = domain;
    ni.platforms = {platform};
    ni.verdict = core::Verdict::kOutage;
    ni.title = platform + " is down for everyone";
    ni.opened_at = store::FromSystem(std::chrono::system_clock::now());
    ni.message = "opened";
    auto inc = store->OpenIncident(ni);
    if (!inc.ok()) Die(inc.error().ToString());
    core::IncidentNotice n;
    n.change = core::IncidentNotice::Change::kOpened;
    n.incident_id = inc->id;
    n.domain = domain;
    n.platforms = inc->platforms;
    n.verdict = inc->verdict;
    n.title = inc->title;
    n.opened_at = std::chrono::system_clock::time_point(inc->opened_at);
    n.at = std::chrono::system_clock::now();
    return n;
  }

  template <typename Pred>
  bool WaitUntil(Pred pred, std::chrono::seconds timeout) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(); });
  }
};

struct FirstStep {
  double record_median = 0, record_p99 = 0, record_max = 0;
  double message_median = 0, message_max = 0;
};

// (a): incidents one at a time.
FirstStep RunFirstStep(const testing::TempDir& dir, const playbook::Plan& plan, int n) {
  Rig rig(dir, "first-step", plan);
  std::vector<double> record, message;
  for (int i = 0; i < n; ++i) {
    core::IncidentNotice notice = rig.Open("solo", "solo");
    const auto t0 = Steady::now();
    rig.engine->OnIncident(notice);
    if (!rig.WaitUntil([&] { return rig.step_done.count(notice.incident_id) > 0; }, 30s)) {
      Die("the first step of " + notice.incident_id + " was never recorded");
    }
    std::lock_guard lock(rig.mu);
    record.push_back(Ms(rig.step_done[notice.incident_id] - t0).count());
    message.push_back(Ms(rig.messenger.First()[notice.incident_id] - t0).count());
  }
  return {Quantile(record, 0.5), Quantile(record, 0.99), Max(record), Quantile(message, 0.5),
          Max(message)};
}

struct Cut {
  int timers = 0;
  double late_max = 0, late_p99 = 0, late_median = 0;
  double first_step_median = 0, first_step_max = 0;  // notice -> first step, under the burst
  double peer_max = 0, peer_p99 = 0, peer_median = 0;
};

// (b): P incidents at once, then the peer with the same due times on a bare scheduler.
Cut RunCut(const testing::TempDir& dir, const playbook::Plan& plan, int platforms) {
  Cut out;
  std::vector<std::pair<std::string, store::Time>> fired;
  std::chrono::system_clock::time_point published;
  {
    Rig rig(dir, "regional-cut", plan);
    std::vector<core::IncidentNotice> notices;
    for (int i = 0; i < platforms; ++i) {
      notices.push_back(rig.Open(fmt::format("r{:03}", i), "regional"));
    }
    published = std::chrono::system_clock::now();
    const auto t0 = Steady::now();
    for (const auto& n : notices) rig.engine->OnIncident(n);
    const std::size_t expected = static_cast<std::size_t>(platforms) * 4;
    if (!rig.WaitUntil([&] { return rig.fired.size() >= expected; }, 120s)) {
      Die(fmt::format("only {} of {} timers fired", rig.fired.size(), expected));
    }
    if (!rig.engine->WaitIdle(30s)) Die("the engine did not settle");
    std::lock_guard lock(rig.mu);
    std::vector<double> first;
    for (const auto& n : notices) {
      auto it = rig.step_done.find(n.incident_id);
      if (it == rig.step_done.end()) Die("no first step for " + n.incident_id);
      first.push_back(Ms(it->second - t0).count());
    }
    out.timers = static_cast<int>(rig.lateness_ms.size());
    out.late_max = Max(rig.lateness_ms);
    out.late_p99 = Quantile(rig.lateness_ms, 0.99);
    out.late_median = Quantile(rig.lateness_ms, 0.5);
    out.first_step_median = Quantile(first, 0.5);
    out.first_step_max = Max(first);
    fired = rig.fired;
  }

  // The peer: the same timers, due at the same offsets from now, with nothing to do.
  auto s = store::OpenSqlite(dir.File("peer.db"));
  if (!s.ok()) Die(s.error().ToString());
  timers::SchedulerOptions so;
  so.worker_id = "peer";
  timers::Scheduler peer(&(*s)->Timers(), so);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<double> late;
  peer.SetObserver([&](const timers::Firing& f) {
    std::lock_guard lock(mu);
    late.push_back(static_cast<double>(f.lateness.count()));
    cv.notify_all();
  });
  std::set<std::string> kinds;
  for (const auto& f : fired) kinds.insert(f.first);
  for (const std::string& kind : kinds) {
    auto on = peer.On(kind, [](const store::Timer&) -> core::Status { return core::Ok(); });
    if (!on.ok()) Die(on.error().ToString());
  }
  const auto shift = std::chrono::system_clock::now() + 1s - published;
  int i = 0;
  for (const auto& [kind, due] : fired) {
    store::NewTimer t;
    t.key = fmt::format("peer/{}", i++);
    t.kind = kind;
    t.due = store::FromSystem(std::chrono::system_clock::time_point(due) + shift);
    if (auto r = peer.Schedule(std::move(t)); !r.ok()) Die(r.error().ToString());
  }
  if (auto st = peer.Start(); !st.ok()) Die(st.error().ToString());
  {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, 120s, [&] { return late.size() >= fired.size(); })) {
      Die("the peer's timers did not all fire");
    }
    out.peer_max = Max(late);
    out.peer_p99 = Quantile(late, 0.99);
    out.peer_median = Quantile(late, 0.5);
  }
  peer.Stop();
  return out;
}

double Median(std::vector<double> v) { return Quantile(std::move(v), 0.5); }

}  // namespace

int main(int argc, char** argv) {
  const int n = static_cast<int>(Arg(argc, argv, "--n", 200));
  const int platforms = static_cast<int>(Arg(argc, argv, "--platforms", 100));
  const int runs = static_cast<int>(Arg(argc, argv, "--runs", 5));
  setenv("LL_BENCH_SECRET", "benchmark-webhook-secret-0123456789", 1);

  auto cfg = config::LoadString(ConfigYaml(platforms), "bench.yaml");
  if (!cfg.ok()) Die(cfg.error().ToString());
  auto http = channels::MakeCurlHttpClient();  // the channels are built, never used
  channels::LoadOptions load;
  load.http = http.get();
  auto relay = channels::LoadRelaySetup(*cfg, load);
  if (!relay.ok()) Die(relay.error().ToString());
  auto plan = playbook::LoadPlan(*cfg, *relay);
  if (!plan.ok()) Die(plan.error().ToString());

  fmt::print("(a) first step: {} incidents one at a time, notice -> the step's record / message\n",
             n);
  fmt::print(
      "(b) {} platforms at once, {} escalation timers; lateness due -> handler start; "
      "peer = bare scheduler, same due times\n",
      platforms, platforms * 4);
  std::vector<double> a_med, a_p99, a_max, b_max, b_p99, b_first_max, p_max, p_p99;
  for (int r = 1; r <= runs; ++r) {
    testing::TempDir dir("lifeline-bench-playbook");
    FirstStep a = RunFirstStep(dir, *plan, n);
    Cut b = RunCut(dir, *plan, platforms);
    fmt::print(
        "run {}: (a) record median {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms (message median "
        "{:.2f} ms, max {:.2f} ms) | (b) {} timers: late median {:.0f} ms, p99 {:.0f} ms, max "
        "{:.0f} ms; first step under the burst median {:.0f} ms, max {:.0f} ms | peer: median "
        "{:.0f} ms, p99 {:.0f} ms, max {:.0f} ms\n",
        r, a.record_median, a.record_p99, a.record_max, a.message_median, a.message_max, b.timers,
        b.late_median, b.late_p99, b.late_max, b.first_step_median, b.first_step_max, b.peer_median,
        b.peer_p99, b.peer_max);
    a_med.push_back(a.record_median);
    a_p99.push_back(a.record_p99);
    a_max.push_back(a.record_max);
    b_max.push_back(b.late_max);
    b_p99.push_back(b.late_p99);
    b_first_max.push_back(b.first_step_max);
    p_max.push_back(b.peer_max);
    p_p99.push_back(b.peer_p99);
  }
  const double ratio = Median(p_max) > 0 ? Median(b_max) / Median(p_max) : 0;
  fmt::print(
      "medians of {} runs: (a) first step record median {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms "
      "(target 100 ms) | (b) timer lateness p99 {:.0f} ms, max {:.0f} ms (target 1000 ms); first "
      "step under the burst max {:.0f} ms | peer p99 {:.0f} ms, max {:.0f} ms; engine/peer max "
      "{:.1f}x\n",
      runs, Median(a_med), Median(a_p99), Median(a_max), Median(b_p99), Median(b_max),
      Median(b_first_max), Median(p_p99), Median(p_max), ratio);
  return 0;
}
