// The dry run (drill_sim.h): the plan, a throw-away store and relay, the real engine and
// scheduler on a simulated clock, and the loop that moves the clock from one due thing (a timer,
// an acknowledgement, the restoration) to the next.
#include "playbook/drill_sim.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "channels/http.h"
#include "channels/outbox.h"
#include "channels/router.h"
#include "core/fake_clock.h"
#include "playbook/drill.h"
#include "playbook/engine.h"
#include "playbook/engine_internal.h"
#include "playbook/links.h"
#include "playbook/messenger.h"
#include "store/store.h"
#include "timers/scheduler.h"

namespace lifeline::playbook {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

// The simulation's folder, removed with everything in it.
class ScratchDir {
 public:
  // In memory when the system offers it (/dev/shm): nothing here needs to survive, and the
  // store syncs every incident write, which costs milliseconds each on a disk.
  static Result<std::unique_ptr<ScratchDir>> Make() {
    const char* env = std::getenv("TMPDIR");
    std::string base = env && *env ? env : "/tmp";
    if (::access("/dev/shm", W_OK | X_OK) == 0) base = "/dev/shm";
    std::string tmpl = base + "/lifeline-drill-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      return MakeError(ErrorCode::kUnavailable, "cannot create a temporary folder {}: {}", tmpl,
                       std::strerror(errno));
    }
    return std::unique_ptr<ScratchDir>(new ScratchDir(tmpl));
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

constexpr auto kPoll = std::chrono::hours(24 * 365);  // the scheduler sleeps until the next timer

// Waits until the engine has handled every notice and the scheduler has run every timer due by
// now and sleeps until the next one.
Status WaitQuiet(Engine& engine, timers::Scheduler& scheduler, store::TimerStore& timers,
                 core::Clock& clock) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < give_up) {
    if (!engine.WaitIdle(std::chrono::seconds(5))) continue;
    const TimePoint now = clock.Now();
    LL_ASSIGN(std::optional<store::Time> next, timers.NextDue());
    const bool due = next && TimePoint(*next) <= now;
    TimePoint expect = now + kPoll;
    if (next && !due) expect = std::min(expect, TimePoint(*next));
    // Sleeping until a timer that was cancelled meanwhile (an acknowledgement ends a chase):
    // look at the store again rather than wait for it.
    if (auto sleeping = scheduler.SleepingUntil(); sleeping && *sleeping != expect) {
      scheduler.Wake();
    }
    if (!scheduler.WaitSleepingUntil(expect, std::chrono::milliseconds(due ? 10 : 200))) continue;
    if (due) continue;
    LL_ASSIGN(std::optional<store::Time> again, timers.NextDue());
    if (again == next && engine.WaitIdle(std::chrono::milliseconds(0))) return core::Ok();
  }
  return MakeError(ErrorCode::kDeadlineExceeded,
                   "the simulation did not settle within 60 s (a timer keeps failing?)");
}

core::IncidentNotice NoticeOf(const store::Incident& inc, core::IncidentNotice::Change change) {
  core::IncidentNotice n;
  n.change = change;
  n.kind = inc.kind == store::IncidentKind::kDomain ? core::IncidentNotice::Kind::kDomain
                                                    : core::IncidentNotice::Kind::kPlatform;
  n.incident_id = inc.id;
  n.domain = inc.domain;
  n.platforms = inc.platforms;
  n.verdict = inc.verdict;
  n.title = inc.title;
  n.opened_at = TimePoint(inc.opened_at);
  n.at = inc.closed_at ? TimePoint(*inc.closed_at) : TimePoint(inc.opened_at);
  return n;
}

}  // namespace

Result<DrillReport> RunDryRun(const config::Config& config, const DryRunOptions& options) {
  // The channels, built as serve builds them (their secrets must be readable), never started.
  auto http = channels::MakeCurlHttpClient();
  channels::LoadOptions lo;
  lo.http = http.get();
  lo.kinds = options.kinds;
  LL_ASSIGN(channels::RelaySetup for_plan, channels::LoadRelaySetup(config, lo));
  LL_ASSIGN(Plan plan, LoadPlan(config, for_plan, options.plan));
  std::map<std::string, std::string, std::less<>> names;
  for (const core::Platform& p : config.platforms) names[p.id] = p.name;
  LL_ASSIGN(DrillTarget target, ResolveDrill(plan, names, options.platform, options.domain_wide));

  LL_ASSIGN(auto dir, ScratchDir::Make());
  LL_ASSIGN(std::unique_ptr<store::Store> store, store::OpenSqlite(dir->File("drill.db")));
  const TimePoint t0 = std::chrono::floor<std::chrono::seconds>(
      options.start.value_or(std::chrono::system_clock::now()));
  core::FakeClock clock(t0);

  LL_ASSIGN(channels::RelaySetup setup, channels::LoadRelaySetup(config, lo));
  channels::RelayOptions ro;
  ro.config = setup.relay;
  ro.platform_domains = setup.platform_domains;
  ro.clock = &clock;
  ro.seed = 1;
  ro.log = options.log;
  channels::Relay relay(&store->Outbox(), std::move(setup.channels), std::move(ro));
  channels::Router router(&relay, store.get(), setup.contacts, setup.templates);
  relay.SetRerouter(&router);
  RelayMessenger messenger(router);

  timers::SchedulerOptions so;
  so.clock = &clock;
  so.worker_id = "drill";
  so.poll = kPoll;
  so.log = options.log;
  timers::Scheduler scheduler(&store->Timers(), so);
  EngineOptions eo;
  eo.clock = &clock;
  eo.platform_names = names;
  // Messages carry acknowledgement links as they would in a real outage (the report redacts
  // their tokens); they point where serve would be reached.
  eo.link_base =
      !config.api.public_url.empty() ? config.api.public_url : "http://" + config.api.listen;
  LL_ASSIGN(eo.link_secret, LoadOrCreateLinkSecret(dir->File("link.secret")));
  eo.log = options.log;
  Engine engine(plan, *store, scheduler, messenger, std::move(eo));
  LL_TRY(engine.Start());
  LL_TRY(scheduler.Start());
  struct Stopper {
    timers::Scheduler& s;
    Engine& e;
    ~Stopper() {
      s.Stop();
      e.Stop();
    }
  } stopper{scheduler, engine};

  const std::string what = target.domain_wide ? fmt::format("{}-wide", target.domain) : target.name;
  store::NewIncident ni;
  ni.kind = target.domain_wide ? store::IncidentKind::kDomain : store::IncidentKind::kPlatform;
  ni.domain = target.domain;
  ni.platforms = target.platforms;
  ni.verdict = core::Verdict::kOutage;
  ni.title = fmt::format("{} outage (simulated)", what);
  ni.opened_at = store::FromSystem(t0);
  ni.message = fmt::format("Simulated: a {} outage begins (dry run: nothing is sent)", what);
  LL_ASSIGN(store::Incident inc, store->OpenIncident(ni));
  relay.OnIncident(NoticeOf(inc, core::IncidentNotice::Change::kOpened));  // its circuits open
  engine.OnIncident(NoticeOf(inc, core::IncidentNotice::Change::kOpened));

  const TimePoint restore_at = t0 + options.duration;
  const TimePoint stop_at = restore_at + options.horizon;
  bool restored = false;
  for (int round = 0; round < 100000; ++round) {
    LL_TRY(WaitQuiet(engine, scheduler, store->Timers(), clock));
    auto lc = store->Playbook().GetLifecycle(inc.id);
    if (lc.ok() &&
        (lc->state == store::Lifecycle::kResolved || lc->state == store::Lifecycle::kReviewed)) {
      break;
    }
    const TimePoint now = clock.Now();
    std::optional<TimePoint> next;
    auto sooner = [&](TimePoint t) { next = next ? std::min(*next, t) : t; };
    bool acted = false;
    if (options.ack_after) {
      LL_ASSIGN(auto open, store->Playbook().ListAssignments(
                               {inc.id, store::AssignmentState::kOpen, std::nullopt, 1000}));
      for (const store::Assignment& a : open) {
        const TimePoint due = TimePoint(a.created_at) + *options.ack_after;
        if (due > now) {
          sooner(due);
          continue;
        }
        std::string who = !a.assignee.empty()   ? a.assignee
                          : !a.notified.empty() ? a.notified.back()
                                                : std::string();
        if (who.empty()) continue;  // nobody was asked yet: its escalation asks someone
        auto done = a.kind == store::AssignmentKind::kApproval ? engine.Approve(a.id, who)
                                                               : engine.Acknowledge(a.id, who);
        (void)done;  // refused only when its state moved meanwhile
        acted = true;
      }
    }
    if (acted) continue;
    if (!restored && restore_at <= now) {
      restored = true;
      store::NewEvent e;
      e.at = store::FromSystem(now);
      e.type = "closed";
      e.message = fmt::format("Simulated: {} works again (restoration after {})", what,
                              engine_internal::Human(options.duration));
      LL_ASSIGN(store::Incident closed, store->CloseIncident(inc.id, e));
      relay.OnIncident(NoticeOf(closed, core::IncidentNotice::Change::kClosed));
      engine.OnIncident(NoticeOf(closed, core::IncidentNotice::Change::kClosed));
      continue;
    }
    if (!restored) sooner(restore_at);
    LL_ASSIGN(std::optional<store::Time> due, store->Timers().NextDue());
    if (due) sooner(std::max(TimePoint(*due), now));
    if (!next || *next > stop_at) break;  // nothing more will happen
    clock.Set(*next);
  }

  DrillSetup s;
  s.dry_run = true;
  s.id = inc.id;
  s.plan_name = plan.name;
  s.platform = target.platform;
  s.platform_name = target.name;
  s.domain = target.domain;
  s.domain_wide = target.domain_wide;
  s.platforms = target.platforms;
  s.duration = options.duration;
  s.ack_after = options.ack_after;
  s.test_audience = plan.drill.audience;
  report::ReportOptions ro2;
  ro2.now = store::FromSystem(clock.Now());
  LL_ASSIGN(DrillReport out, BuildDrillReport(*store, plan, inc.id, std::move(s), ro2));
  for (const Finding& w : plan.warnings) {
    out.findings.push_back({DrillFinding::Level::kWarning, "plan check: " + w.ToString()});
  }
  if (!restored) {
    out.findings.push_back(
        {DrillFinding::Level::kNote,
         "The simulation stopped before the restoration: nothing more would happen"});
  } else if (out.lifecycle != "resolved" && !out.lifecycle.empty()) {
    out.findings.push_back(
        {DrillFinding::Level::kNote,
         fmt::format("The simulation stopped {} after the restoration with the response still {}",
                     engine_internal::Human(options.horizon), out.lifecycle)});
  }
  return out;
}

}  // namespace lifeline::playbook
