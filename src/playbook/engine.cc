// The playbook engine (engine.h): its thread and the incident feed, triggers, what a restart
// finds, restoration, the lifecycle and monitoring windows, and the timeline. The steps are in
// engine_steps.cc, assignments, escalation, people's actions and links in engine_people.cc.
#include "playbook/engine.h"

#include <algorithm>
#include <set>
#include <utility>

#include "playbook/engine_internal.h"

namespace lifeline::playbook {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using store::AssignmentKind;
using store::AssignmentState;
using store::Lifecycle;
using store::StepState;
using namespace engine_internal;

struct Engine::HandlerGate {
  std::mutex mu;  // guards engine; held while a handler runs, so destruction waits for it
  Engine* engine = nullptr;
};

Engine::Engine(const Plan& plan, store::Store& store, timers::Scheduler& scheduler,
               Messenger& messenger, EngineOptions options)
    : plan_(plan),
      store_(store),
      scheduler_(scheduler),
      messenger_(messenger),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::RealClock()),
      gate_(std::make_shared<HandlerGate>()) {
  signer_.secret = options_.link_secret;
  gate_->engine = this;
}

Engine::~Engine() {
  Stop();
  std::lock_guard lock(gate_->mu);
  gate_->engine = nullptr;
}

Status Engine::Start() {
  {
    std::lock_guard lock(queue_mu_);
    if (started_) return MakeError(ErrorCode::kFailedPrecondition, "the engine was started before");
    started_ = true;
  }
  {
    // Before the handlers: a running scheduler may claim a timer the moment its kind is known.
    std::lock_guard lock(mu_);
    running_ = true;
  }
  std::shared_ptr<HandlerGate> gate = gate_;
  using Method = Status (Engine::*)(const store::Timer&);
  const std::pair<std::string_view, Method> kinds[] = {
      {kTriggerTimer, &Engine::OnTrigger},   {kWaitTimer, &Engine::OnWait},
      {kRetryTimer, &Engine::OnRetry},       {kApprovalTimer, &Engine::OnApprovalTimeout},
      {kEscalateTimer, &Engine::OnEscalate}, {kMonitorTimer, &Engine::OnMonitor},
  };
  for (const auto& [kind, method] : kinds) {
    // `method = method`: clang before 16 cannot capture a structured binding by name.
    LL_TRY(
        scheduler_.On(std::string(kind), [gate, method = method](const store::Timer& t) -> Status {
          std::lock_guard hold(gate->mu);
          if (gate->engine == nullptr) {
            return MakeError(ErrorCode::kUnavailable, "the playbook engine is gone");
          }
          Engine& e = *gate->engine;
          std::lock_guard lock(e.mu_);
          if (!e.running_) return MakeError(ErrorCode::kUnavailable, "the playbook engine stopped");
          return (e.*method)(t);
        }));
  }
  {
    std::lock_guard lock(queue_mu_);
    Work w;
    w.resume = true;
    queue_.push_front(std::move(w));
  }
  thread_ = std::thread([this] { Run(); });
  return core::Ok();
}

void Engine::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  running_ = false;
}

namespace {
class EngineSubscription final : public core::IncidentFeed::Subscription {
 public:
  explicit EngineSubscription(std::unique_ptr<core::IncidentFeed::Subscription> inner)
      : inner_(std::move(inner)) {}

 private:
  std::unique_ptr<core::IncidentFeed::Subscription> inner_;
};
}  // namespace

std::unique_ptr<core::IncidentFeed::Subscription> Engine::Watch(core::IncidentFeed& feed) {
  return std::make_unique<EngineSubscription>(
      feed.SubscribeIncidents([this](const core::IncidentNotice& n) { OnIncident(n); }));
}

void Engine::OnIncident(const core::IncidentNotice& notice) {
  if (!notice.here) return;  // another instance acts on it
  Work w;
  w.notice = notice;
  Enqueue(std::move(w));
}

void Engine::Enqueue(Work w) {
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    queue_.push_back(std::move(w));
  }
  queue_cv_.notify_all();
}

bool Engine::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return (queue_.empty() && !busy_) || stopping_; });
}

void Engine::Run() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      idle_cv_.notify_all();
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      continue;
    }
    // The first item that is due (a notice that failed waits a little before its next try).
    const TimePoint now = Now();
    auto it = std::find_if(queue_.begin(), queue_.end(),
                           [&](const Work& w) { return w.not_before <= now; });
    if (it == queue_.end()) {
      TimePoint next = queue_.front().not_before;
      for (const Work& w : queue_) next = std::min(next, w.not_before);
      idle_cv_.notify_all();
      clock_.WaitUntil(queue_cv_, lock, next);
      continue;
    }
    Work w = std::move(*it);
    queue_.erase(it);
    busy_ = true;
    lock.unlock();
    Status s = HandleWork(w);
    lock.lock();
    busy_ = false;
    if (!s.ok() && !stopping_) {
      Log(fmt::format(
          "playbook: {} failed, trying again in 5 s: {}",
          w.resume ? std::string("resuming") : "handling incident " + w.notice.incident_id,
          s.error().message()));
      w.not_before = Now() + std::chrono::seconds(5);
      queue_.push_back(std::move(w));
    }
  }
  idle_cv_.notify_all();
}

Status Engine::HandleWork(const Work& w) {
  std::lock_guard lock(mu_);
  if (!running_) return core::Ok();
  if (w.resume) return Resume();
  auto inc = store_.GetIncident(w.notice.incident_id);
  if (!inc) {
    if (IsNotFound(inc.error())) return core::Ok();  // deleted meanwhile
    return inc.error();
  }
  if (inc->state == store::IncidentState::kClosed ||
      w.notice.change == core::IncidentNotice::Change::kClosed) {
    return HandleClosed(*inc);
  }
  return HandleOpen(*inc);
}

// ---- what a previous run left ----

void Engine::SetOwned(const std::vector<std::string>& platforms) {
  if (!options_.shared) return;
  {
    std::lock_guard lock(owned_mu_);
    std::set<std::string, std::less<>> now(platforms.begin(), platforms.end());
    // Only what was gained needs a look: what was lost is the new owner's to resume.
    const bool gained = std::any_of(now.begin(), now.end(),
                                    [&](const std::string& p) { return owned_.count(p) == 0; });
    owned_ = std::move(now);
    if (!gained) return;
  }
  Work w;
  w.resume = true;
  Enqueue(std::move(w));
}

bool Engine::Mine(const std::vector<std::string>& platforms) {
  if (!options_.shared) return true;
  std::lock_guard lock(owned_mu_);
  return std::any_of(platforms.begin(), platforms.end(),
                     [&](const std::string& p) { return owned_.count(p) > 0; });
}

std::pair<Duration, Duration> Engine::WindowOf(const std::vector<store::ResponseRun>& runs) const {
  Duration window{0};
  Duration probe{0};
  for (const store::ResponseRun& run : runs) {
    const Response* r = plan_.FindResponse(run.response);
    if (r == nullptr) continue;
    window = std::max(window, r->after_restoration.monitor_window);
    const Duration p = r->after_restoration.probe_interval;
    if (p > Duration::zero() && (probe == Duration::zero() || p < probe)) probe = p;
  }
  return {window, probe};
}

Result<std::vector<MonitorWindow>> Engine::ActiveWindows() {
  LL_ASSIGN(auto watching, store_.Playbook().ListLifecycles(Lifecycle::kMonitoring, 1000));
  std::vector<MonitorWindow> out;
  for (const store::IncidentLifecycle& lc : watching) {
    LL_ASSIGN(store::Incident inc, store_.GetIncident(lc.incident_id));
    if (inc.drill) continue;  // a drill's platforms are not down: their probing stays
    LL_ASSIGN(auto runs, store_.Playbook().ListRuns({lc.incident_id, std::nullopt, 1000}));
    out.push_back({lc.incident_id, lc.platforms, WindowOf(runs).second, true});
  }
  return out;
}

Status Engine::Resume() {
  // Responses still running: their incident may have closed meanwhile (the feed only tells of
  // open incidents), else they go on where they were. Shared: only those of the platforms this
  // instance runs (the others' owners resume theirs).
  LL_ASSIGN(auto runs, store_.Playbook().ListRuns({"", store::RunState::kRunning, 1000}));
  std::set<std::string> seen;
  for (const store::ResponseRun& run : runs) {
    LL_ASSIGN(store::Incident inc, store_.GetIncident(run.incident_id));
    if (!Mine(inc.platforms)) continue;
    if (inc.state == store::IncidentState::kClosed) {
      if (seen.insert(inc.id).second) LL_TRY(HandleClosed(inc));
      continue;
    }
    const Response* r = plan_.FindResponse(run.response);
    if (r == nullptr) continue;  // the plan changed: nothing to run it with
    Ctx ctx = MakeCtx(inc, *r);
    LL_TRY(Advance(ctx));
  }
  // Incidents whose response ended but that closed while nobody watched.
  for (Lifecycle l : {Lifecycle::kDetected, Lifecycle::kAcknowledged, Lifecycle::kMitigating}) {
    LL_ASSIGN(auto lcs, store_.Playbook().ListLifecycles(l, 1000));
    for (const store::IncidentLifecycle& lc : lcs) {
      if (seen.count(lc.incident_id) > 0) continue;
      LL_ASSIGN(store::Incident inc, store_.GetIncident(lc.incident_id));
      if (!Mine(inc.platforms)) continue;
      if (!lc.relapse_incident.empty()) {
        auto other = store_.GetIncident(lc.relapse_incident);
        if (!other.ok() || other->state == store::IncidentState::kClosed) {
          LL_TRY(EndRelapses(other.ok() ? *other : inc));
        }
        continue;
      }
      if (inc.state == store::IncidentState::kClosed) LL_TRY(HandleClosed(inc));
    }
  }
  // Monitoring windows still running probe their platforms faster again (after a restart, or
  // on the instance that took the platforms over).
  if (options_.on_monitor) {
    LL_ASSIGN(auto watching, store_.Playbook().ListLifecycles(Lifecycle::kMonitoring, 1000));
    for (const store::IncidentLifecycle& lc : watching) {
      LL_ASSIGN(store::Incident inc, store_.GetIncident(lc.incident_id));
      if (!Mine(inc.platforms)) continue;
      LL_ASSIGN(auto runs, store_.Playbook().ListRuns({lc.incident_id, std::nullopt, 1000}));
      const Duration probe = WindowOf(runs).second;
      if (probe > Duration::zero())
        options_.on_monitor({lc.incident_id, lc.platforms, probe, true});
    }
  }
  return core::Ok();
}

// ---- incidents ----

Engine::Ctx Engine::MakeCtx(const store::Incident& inc, const Response& r) const {
  Ctx ctx;
  ctx.incident = inc;
  ctx.response = &r;
  ctx.failure = FailureOf(inc);
  channels::TemplateVars& v = ctx.vars;
  std::vector<std::string> names;
  for (const std::string& id : inc.platforms) {
    auto it = options_.platform_names.find(id);
    names.push_back(it == options_.platform_names.end() ? id : it->second);
  }
  v.platform = Join(names);
  v.domain = inc.domain;
  v.time = Hm(TimePoint(inc.opened_at));
  v.incident = inc.title;
  v.incident_id = inc.id;
  // The backup customers need: the failed primary channel's, else the first failed channel's
  // that has one, else the first surviving channel with a link.
  const InventoryChannel* failed = nullptr;
  for (const InventoryChannel& c : plan_.inventory) {
    if (c.backup.empty() || !plan_.Fails(c, ctx.failure)) continue;
    if (failed == nullptr || (c.primary && !failed->primary)) failed = &c;
  }
  if (failed != nullptr) {
    const InventoryChannel* b = plan_.FindInventory(failed->backup);
    if (b != nullptr && !plan_.Fails(*b, ctx.failure)) {
      v.backup_channel = b->name;
      v.backup_link = b->link;
    }
  }
  if (v.backup_channel.empty()) {
    for (const InventoryChannel& c : plan_.inventory) {
      if (!c.link.empty() && !plan_.Fails(c, ctx.failure)) {
        v.backup_channel = c.name;
        v.backup_link = c.link;
        break;
      }
    }
  }
  return ctx;
}

Result<Engine::Ctx> Engine::LoadCtx(std::string_view incident, std::string_view response) {
  LL_ASSIGN(store::Incident inc, store_.GetIncident(incident));
  const Response* r = plan_.FindResponse(response);
  if (r == nullptr) {
    return MakeError(ErrorCode::kNotFound, "the plan has no response {} (incident {})", response,
                     incident);
  }
  return MakeCtx(inc, *r);
}

Status Engine::HandleOpen(const store::Incident& inc) {
  LL_TRY(CheckRelapse(inc));
  for (const Response* r : plan_.Responding(FailureOf(inc))) {
    auto run = store_.Playbook().GetRun(inc.id, r->name);
    if (run.ok()) {
      if (run->state == store::RunState::kRunning) {
        Ctx ctx = MakeCtx(inc, *r);
        LL_TRY(Advance(ctx));
      }
      continue;
    }
    if (!IsNotFound(run.error())) return run.error();
    const Duration min = r->trigger.min_duration;
    const TimePoint due = TimePoint(inc.opened_at) + min;
    if (min > Duration::zero() && Now() < due) {
      json p = {{"incident", inc.id}, {"response", r->name}};
      store::NewTimer t;
      t.key = TriggerKey(inc.id, r->name);
      t.kind = std::string(kTriggerTimer);
      t.due = StoreTime(due);
      t.payload_json = p.dump();
      t.owner = inc.id;
      LL_ASSIGN(store::ScheduledTimer st, scheduler_.Schedule(std::move(t)));
      if (st.created) {
        Timeline(inc.id, "playbook_response_waiting",
                 fmt::format("Response {} starts at {} if the incident is still open then with "
                             "a listed verdict (trigger: for {})",
                             r->name, Hms(due), Human(min)),
                 json{{"response", r->name}, {"due", core::FormatTime(due)}}.dump());
      }
      continue;
    }
    LL_TRY(StartResponse(inc, *r));
  }
  return core::Ok();
}

Status Engine::StartResponse(const store::Incident& inc, const Response& r) {
  const TimePoint now = Now();
  store::NewLifecycle nl;
  nl.incident_id = inc.id;
  nl.platforms = inc.platforms;
  nl.by = std::string(kEngineName);
  nl.note = fmt::format("response {} started", r.name);
  nl.at = StoreTime(now);
  LL_ASSIGN(auto opened, store_.Playbook().OpenLifecycle(nl));
  if (opened.second) {
    Timeline(inc.id, "playbook_lifecycle",
             fmt::format("Lifecycle: detected (response {} started)", r.name),
             json{{"to", "detected"}, {"by", kEngineName}}.dump());
  }
  LL_ASSIGN(store::StartedRun started, store_.Playbook().StartRun(inc.id, r.name, StoreTime(now)));
  if (started.created) {
    Timeline(inc.id, "playbook_response_started",
             fmt::format("Response {} started ({} step{}){}", r.name, r.steps.size(),
                         r.steps.size() == 1 ? "" : "s",
                         r.description.empty() ? "" : ": " + r.description),
             json{{"response", r.name}, {"by", kEngineName}}.dump());
  }
  if (started.run.state != store::RunState::kRunning) return core::Ok();
  Ctx ctx = MakeCtx(inc, r);
  return Advance(ctx);
}

Status Engine::HandleClosed(const store::Incident& inc) {
  const TimePoint now = Now();
  const TimePoint closed_at = inc.closed_at ? TimePoint(*inc.closed_at) : now;
  // Responses still waiting for their trigger's min_duration never start.
  for (const Response& r : plan_.responses) {
    const std::string key = TriggerKey(inc.id, r.name);
    auto t = store_.Timers().Get(key);
    if (!t.ok()) {
      if (!IsNotFound(t.error())) return t.error();
      continue;
    }
    if (store::IsFinal(t->state)) continue;
    // Nothing more on the timeline: its "starts at ... if the incident is still open" said it.
    auto cancelled = scheduler_.Cancel(key);
    if (!cancelled.ok() && cancelled.error().code() != ErrorCode::kFailedPrecondition) {
      return cancelled.error();
    }
  }
  LL_TRY(EndRelapses(inc));

  auto lc = store_.Playbook().GetLifecycle(inc.id);
  if (!lc.ok()) {
    if (IsNotFound(lc.error())) return core::Ok();  // no response ran for it
    return lc.error();
  }
  if (lc->state == Lifecycle::kResolved || lc->state == Lifecycle::kReviewed ||
      !lc->relapse_incident.empty()) {
    // Handled before (a notice seen twice, a resume); back in mitigating after a relapse, it is
    // the other incident's closing that ends it (EndRelapses).
    return core::Ok();
  }
  LL_ASSIGN(auto runs, store_.Playbook().ListRuns({inc.id, std::nullopt, 1000}));
  if (lc->state == Lifecycle::kMonitoring) {
    // Moved before; what follows the move is keyed, so finishing it again repeats nothing (a
    // store error may have cut it short).
    LL_TRY(AssignChecklist(inc, runs));
    return StartMonitoring(inc.id, *lc);
  }
  for (const store::ResponseRun& run : runs) {
    if (run.state != store::RunState::kRunning) continue;
    const Response* r = plan_.FindResponse(run.response);
    if (r == nullptr) continue;
    Ctx ctx = MakeCtx(inc, *r);
    LL_TRY(SkipRemaining(ctx, r->steps, "the platform was back before it ended"));
    auto ended = store_.Playbook().EndRun(inc.id, r->name, store::RunState::kFinished,
                                          fmt::format("the incident closed at {}", Hm(closed_at)),
                                          StoreTime(now));
    if (ended.ok()) {
      Timeline(
          inc.id, "playbook_response_finished",
          fmt::format("Response {} finished: the incident closed at {}", r->name, Hm(closed_at)),
          json{{"response", r->name}, {"by", kEngineName}}.dump());
    } else if (ended.error().code() != ErrorCode::kFailedPrecondition) {
      return ended.error();
    }
  }
  // Nobody needs to approve a move or acknowledge "it is down" any more; tasks stay open (the
  // work they name is still to be done).
  LL_ASSIGN(auto open, store_.Playbook().ListAssignments(
                           {inc.id, AssignmentState::kOpen, std::nullopt, 1000}));
  for (const store::Assignment& a : open) {
    if (a.kind == AssignmentKind::kTask) continue;
    auto moved =
        store_.Playbook().MoveAssignment({a.id, AssignmentState::kExpired, std::string(kEngineName),
                                          "the incident closed", StoreTime(now)});
    if (!moved.ok()) {
      if (moved.error().code() == ErrorCode::kFailedPrecondition) continue;
      return moved.error();
    }
    Timeline(
        inc.id, "playbook_expired",
        fmt::format("{} '{}' expired: the incident closed",
                    a.kind == AssignmentKind::kApproval ? "Approval" : "Notification", a.title),
        json{{"assignment", a.id}, {"by", kEngineName}}.dump());
  }

  store::LifecycleMove mv;
  mv.incident_id = inc.id;
  mv.from = {Lifecycle::kDetected, Lifecycle::kAcknowledged, Lifecycle::kMitigating};
  mv.to = Lifecycle::kMonitoring;
  mv.by = std::string(kEngineName);
  mv.note = fmt::format("{} works again at {}", PlatformNames(inc.platforms), Hm(closed_at));
  mv.at = StoreTime(now);
  auto moved = store_.Playbook().MoveLifecycle(mv);
  if (!moved.ok()) {
    if (moved.error().code() == ErrorCode::kFailedPrecondition) return core::Ok();
    return moved.error();
  }
  Timeline(
      inc.id, "playbook_lifecycle",
      fmt::format("Lifecycle: {} -> monitoring by {}: {}", LifecycleName(lc->state), kEngineName,
                  mv.note),
      json{{"from", LifecycleName(lc->state)}, {"to", "monitoring"}, {"by", kEngineName}}.dump());

  LL_TRY(AssignChecklist(inc, runs));
  return StartMonitoring(inc.id, *moved);
}

Status Engine::AssignChecklist(const store::Incident& inc,
                               const std::vector<store::ResponseRun>& runs) {
  for (const store::ResponseRun& run : runs) {
    const Response* r = plan_.FindResponse(run.response);
    if (r == nullptr) continue;
    Ctx ctx = MakeCtx(inc, *r);
    for (const ChecklistItem& item : r->after_restoration.checklist) {
      TaskStep t;
      t.title = item.title;
      t.role = item.role;
      t.escalation = item.escalation;
      Step s;
      s.id = item.id;
      s.body = t;
      auto assigned = RunTask(ctx, s, t);
      if (assigned.ok()) continue;
      // Recorded, never fatal: the other items and the monitoring window go on.
      Log(fmt::format("playbook: checklist item {} of incident {}: {}", item.id, inc.id,
                      assigned.error().message()));
      Timeline(inc.id, "playbook_step_failed",
               fmt::format("Checklist item '{}' could not be assigned: {}", item.title,
                           assigned.error().message()),
               json{{"response", r->name}, {"step", item.id}}.dump());
    }
  }
  return core::Ok();
}

// ---- monitoring and relapses ----

std::string Engine::PlatformNames(const std::vector<std::string>& ids) const {
  std::vector<std::string> names;
  for (const std::string& id : ids) {
    auto it = options_.platform_names.find(id);
    names.push_back(it == options_.platform_names.end() ? id : it->second);
  }
  return Join(names);
}

Status Engine::StartMonitoring(const std::string& incident, const store::IncidentLifecycle& lc) {
  LL_ASSIGN(store::Incident inc, store_.GetIncident(incident));
  LL_ASSIGN(auto runs, store_.Playbook().ListRuns({incident, std::nullopt, 1000}));
  const auto [window, probe] = WindowOf(runs);
  const TimePoint now = Now();
  if (window == Duration::zero()) {
    MoveLifecycle(incident, {Lifecycle::kMonitoring}, Lifecycle::kResolved, kEngineName,
                  "no monitoring window in the plan");
    return core::Ok();
  }
  // The first window counts from the restoration; one after a relapse from now.
  const TimePoint from =
      lc.monitor_round <= 1 && inc.closed_at ? std::min(TimePoint(*inc.closed_at), now) : now;
  const TimePoint due = from + window;
  store::NewTimer t;
  t.key = MonitorKey(incident, lc.monitor_round);
  t.kind = std::string(kMonitorTimer);
  t.due = StoreTime(due);
  t.payload_json = json{{"incident", incident}, {"round", lc.monitor_round}}.dump();
  t.owner = incident;
  LL_ASSIGN(store::ScheduledTimer st, scheduler_.Schedule(std::move(t)));
  if (st.created) {
    Timeline(incident, "playbook_monitoring",
             fmt::format(
                 "Monitoring {} for {}, until {}{}; resolved then if it stays up",
                 PlatformNames(lc.platforms), Human(window), Hms(due),
                 probe > Duration::zero() ? fmt::format(" (probe interval {})", Human(probe)) : ""),
             json{{"until", core::FormatTime(due)},
                  {"round", lc.monitor_round},
                  {"probe_interval_ms", probe.count()}}
                 .dump());
  }
  if (options_.on_monitor) options_.on_monitor({incident, lc.platforms, probe, true});
  return core::Ok();
}

Result<std::string> Engine::OpenOverlapping(const store::IncidentLifecycle& lc) {
  // A drill's platforms are not really down: a real incident does not hold a drill in mitigating
  // (and listings leave drills out, so a drill never holds a real one).
  if (auto self = store_.GetIncident(lc.incident_id); self.ok() && self->drill) {
    return std::string();
  }
  for (const std::string& p : lc.platforms) {
    store::IncidentQuery q;
    q.state = store::IncidentState::kOpen;
    q.platform = p;
    q.limit = 10;
    LL_ASSIGN(store::IncidentPage page, store_.ListIncidents(q));
    for (const store::Incident& other : page.incidents) {
      if (other.id != lc.incident_id) return other.id;
    }
  }
  return std::string();
}

Status Engine::CheckRelapse(const store::Incident& inc) {
  if (inc.drill) return core::Ok();  // a drill fails nothing: no response relapses because of it
  LL_ASSIGN(auto watching, store_.Playbook().ListLifecycles(Lifecycle::kMonitoring, 1000));
  for (const store::IncidentLifecycle& lc : watching) {
    if (lc.incident_id == inc.id) continue;
    // Nor does a drill's response relapse because of a real incident.
    if (auto other = store_.GetIncident(lc.incident_id); other.ok() && other->drill) continue;
    bool overlap = false;
    for (const std::string& p : lc.platforms) {
      if (std::find(inc.platforms.begin(), inc.platforms.end(), p) != inc.platforms.end()) {
        overlap = true;
      }
      if (inc.kind == store::IncidentKind::kDomain && !inc.domain.empty()) {
        auto d = plan_.platform_domains.find(p);
        if (d != plan_.platform_domains.end() && d->second == inc.domain) overlap = true;
      }
    }
    if (!overlap) continue;
    MoveLifecycle(lc.incident_id, {Lifecycle::kMonitoring}, Lifecycle::kMitigating, kEngineName,
                  fmt::format("{} failed again (incident {}); monitoring starts again when it "
                              "is back",
                              PlatformNames(lc.platforms), inc.id),
                  inc.id);
    auto c = scheduler_.Cancel(MonitorKey(lc.incident_id, lc.monitor_round));
    if (!c.ok() && !IsNotFound(c.error()) && c.error().code() != ErrorCode::kFailedPrecondition) {
      return c.error();
    }
    if (options_.on_monitor) options_.on_monitor({lc.incident_id, lc.platforms, {}, false});
  }
  return core::Ok();
}

Status Engine::EndRelapses(const store::Incident& closed) {
  LL_ASSIGN(auto back, store_.Playbook().ListLifecycles(Lifecycle::kMitigating, 1000));
  for (const store::IncidentLifecycle& lc : back) {
    if (lc.relapse_incident.empty()) continue;
    if (lc.relapse_incident != closed.id) {
      // Resume: a relapse incident that is gone or closed also ends the relapse.
      auto other = store_.GetIncident(lc.relapse_incident);
      if (other.ok() && other->state == store::IncidentState::kOpen) continue;
      if (!other.ok() && !IsNotFound(other.error())) return other.error();
    }
    store::LifecycleMove mv;
    mv.incident_id = lc.incident_id;
    mv.from = {Lifecycle::kMitigating};
    mv.to = Lifecycle::kMonitoring;
    mv.by = std::string(kEngineName);
    mv.note = fmt::format("incident {} closed: {} works again", lc.relapse_incident,
                          PlatformNames(lc.platforms));
    mv.at = StoreTime(Now());
    auto moved = store_.Playbook().MoveLifecycle(mv);
    if (!moved.ok()) {
      if (moved.error().code() == ErrorCode::kFailedPrecondition) continue;
      return moved.error();
    }
    Timeline(lc.incident_id, "playbook_lifecycle",
             fmt::format("Lifecycle: mitigating -> monitoring by {}: {}", kEngineName, mv.note),
             json{{"from", "mitigating"}, {"to", "monitoring"}, {"by", kEngineName}}.dump());
    LL_TRY(StartMonitoring(lc.incident_id, *moved));
  }
  return core::Ok();
}

void Engine::MoveLifecycle(const std::string& incident, std::vector<Lifecycle> from, Lifecycle to,
                           std::string_view by, std::string note, std::string relapse) {
  auto cur = store_.Playbook().GetLifecycle(incident);
  if (!cur.ok()) {
    if (!IsNotFound(cur.error())) Log("playbook: " + cur.error().message());
    return;
  }
  store::LifecycleMove mv;
  mv.incident_id = incident;
  mv.from = std::move(from);
  mv.to = to;
  mv.by = std::string(by);
  mv.note = std::move(note);
  mv.relapse_incident = std::move(relapse);
  mv.at = StoreTime(Now());
  auto moved = store_.Playbook().MoveLifecycle(mv);
  if (!moved.ok()) {
    if (moved.error().code() != ErrorCode::kFailedPrecondition) {
      Log("playbook: " + moved.error().message());
    }
    return;
  }
  const Person* p = plan_.FindPerson(by);
  Timeline(incident, "playbook_lifecycle",
           fmt::format("Lifecycle: {} -> {} by {}: {}", LifecycleName(cur->state),
                       LifecycleName(to), p ? p->name : std::string(by), mv.note),
           json{{"from", LifecycleName(cur->state)}, {"to", LifecycleName(to)}, {"by", by}}.dump());
}

Status Engine::OnMonitor(const store::Timer& t) {
  LL_ASSIGN(json p, Payload(t));
  const auto incident = Str(p, "incident");
  const auto round = Int(p, "round");
  if (!incident || !round) return MakeError(ErrorCode::kInvalidArgument, "bad payload {}", t.key);
  auto lc = store_.Playbook().GetLifecycle(*incident);
  if (!lc.ok()) return IsNotFound(lc.error()) ? core::Ok() : Status(lc.error());
  if (lc->state != Lifecycle::kMonitoring || lc->monitor_round != *round) return core::Ok();
  LL_ASSIGN(std::string other, OpenOverlapping(*lc));
  if (!other.empty()) {
    MoveLifecycle(*incident, {Lifecycle::kMonitoring}, Lifecycle::kMitigating, kEngineName,
                  fmt::format("{} failed again (incident {}) during the monitoring window",
                              PlatformNames(lc->platforms), other),
                  other);
    if (options_.on_monitor) options_.on_monitor({*incident, lc->platforms, {}, false});
    return core::Ok();
  }
  MoveLifecycle(*incident, {Lifecycle::kMonitoring}, Lifecycle::kResolved, kEngineName,
                fmt::format("the monitoring window ended quietly: {} stayed up",
                            PlatformNames(lc->platforms)));
  if (options_.on_monitor) options_.on_monitor({*incident, lc->platforms, {}, false});
  return core::Ok();
}

// ---- timers ----

Status Engine::Schedule(std::string_view kind, std::string key, TimePoint due, std::string payload,
                        const std::string& owner) {
  store::NewTimer t;
  t.key = std::move(key);
  t.kind = std::string(kind);
  t.due = StoreTime(due);
  t.payload_json = std::move(payload);
  t.owner = owner;
  auto r = scheduler_.Schedule(std::move(t));
  if (!r.ok()) return r.error();
  return core::Ok();
}

Status Engine::OnTrigger(const store::Timer& t) {
  LL_ASSIGN(json p, Payload(t));
  const auto incident = Str(p, "incident");
  const auto response = Str(p, "response");
  if (!incident || !response)
    return MakeError(ErrorCode::kInvalidArgument, "bad payload {}", t.key);
  const Response* r = plan_.FindResponse(*response);
  if (r == nullptr) return core::Ok();
  auto inc = store_.GetIncident(*incident);
  if (!inc.ok()) return IsNotFound(inc.error()) ? core::Ok() : Status(inc.error());
  if (inc->state == store::IncidentState::kClosed) {
    Timeline(inc->id, "playbook_response_not_started",
             fmt::format("Response {} did not start: the incident closed before its trigger's {}",
                         r->name, Human(r->trigger.min_duration)),
             json{{"response", r->name}}.dump());
    return core::Ok();
  }
  if (!r->trigger.Matches(FailureOf(*inc), plan_.platform_domains)) {
    Timeline(inc->id, "playbook_response_not_started",
             fmt::format("Response {} did not start: after {} the incident is {}, which its "
                         "trigger does not list",
                         r->name, Human(r->trigger.min_duration), core::VerdictName(inc->verdict)),
             json{{"response", r->name}}.dump());
    return core::Ok();
  }
  return StartResponse(*inc, *r);
}

// ---- views ----

Result<IncidentResponse> Engine::Describe(std::string_view incident) {
  IncidentResponse out;
  LL_ASSIGN(out.lifecycle, store_.Playbook().GetLifecycle(incident));
  LL_ASSIGN(out.runs, store_.Playbook().ListRuns({std::string(incident), std::nullopt, 1000}));
  LL_ASSIGN(out.steps, store_.Playbook().ListSteps(incident));
  LL_ASSIGN(out.assignments, store_.Playbook().ListAssignments(
                                 {std::string(incident), std::nullopt, std::nullopt, 1000}));
  return out;
}

// ---- helpers ----

void Engine::Timeline(const std::string& incident, std::string_view type, std::string message,
                      std::string data_json) {
  store::NewEvent e;
  e.at = StoreTime(Now());
  e.type = std::string(type);
  e.message = std::move(message);
  e.data_json = std::move(data_json);
  auto stored = store_.AppendEvent(incident, e);
  if (!stored.ok()) {
    Log(fmt::format("playbook: timeline of {}: {} not recorded: {}", incident, e.message,
                    stored.error().message()));
    return;
  }
  timeline_listeners_.Publish(*stored);
}

std::unique_ptr<core::Subscription> Engine::Subscribe(
    std::function<void(const store::IncidentEvent&)> sink) {
  return timeline_listeners_.Add(std::move(sink));
}

TimePoint Engine::Now() const { return clock_.Now(); }

void Engine::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

}  // namespace lifeline::playbook
