// The ads guard (guard.h): incidents to timers, the timers' handlers, the timeline. The pause and
// resume work is in guard_pause.cc, the actions by hand in guard_hand.cc.
#include "ads/guard.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "ads/guard_internal.h"

namespace lifeline::ads {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using nlohmann::json;

struct Guard::Gate {
  std::mutex mu;  // guards guard
  Guard* guard = nullptr;
};

Result<std::unique_ptr<Guard>> Guard::Create(AdsConfig config, const config::Config& catalog,
                                             store::Store& store, timers::Scheduler& scheduler,
                                             GuardOptions options, channels::HttpClient* http) {
  std::unique_ptr<channels::HttpClient> own;
  if (http == nullptr) {
    own = channels::MakeCurlHttpClient();
    http = own.get();
  }
  std::map<std::string, std::unique_ptr<AdPlatform>, std::less<>> clients;
  for (const AccountConfig& a : config.accounts) {
    LL_ASSIGN(auto client, MakeAdPlatform(a, *http));
    clients.emplace(a.name, std::move(client));
  }
  auto g = std::make_unique<Guard>(std::move(config), catalog, std::move(clients), store, scheduler,
                                   std::move(options));
  g->own_http_ = std::move(own);
  return g;
}

Guard::Guard(AdsConfig config, const config::Config& catalog,
             std::map<std::string, std::unique_ptr<AdPlatform>, std::less<>> clients,
             store::Store& store, timers::Scheduler& scheduler, GuardOptions options)
    : config_(std::move(config)),
      clients_(std::move(clients)),
      store_(store),
      scheduler_(scheduler),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::RealClock()),
      gate_(std::make_shared<Gate>()) {
  for (const auto& p : catalog.platforms) {
    domains_[p.id] = p.domain;
    names_[p.id] = p.name;
  }
  gate_->guard = this;
}

Guard::~Guard() {
  Stop();
  std::lock_guard lock(gate_->mu);
  gate_->guard = nullptr;
}

Status Guard::Start() {
  if (empty()) return core::Ok();
  {
    std::lock_guard lock(queue_mu_);
    if (started_) return MakeError(ErrorCode::kFailedPrecondition, "the ads guard started before");
    started_ = true;
  }
  // Handlers hold the gate, never the guard: a timer that fires after the guard is gone finds
  // nobody and fails (it runs again at the next start).
  auto via = [gate = gate_](auto method) {
    return [gate, method](const store::Timer& t) -> Status {
      std::lock_guard lock(gate->mu);
      if (gate->guard == nullptr) {
        return MakeError(ErrorCode::kUnavailable, "the ads guard is stopped");
      }
      return (gate->guard->*method)(t);
    };
  };
  LL_TRY(scheduler_.On(std::string(kPauseTimer), via(&Guard::OnPauseTimer)));
  LL_TRY(scheduler_.On(std::string(kResumeTimer), via(&Guard::OnResumeTimer)));
  LL_TRY(scheduler_.On(std::string(kTransferTimer), via(&Guard::OnTransferTimer)));
  thread_ = std::thread([this] { Run(); });
  Log(fmt::format("ads guard: {} accounts, {} policies{}", config_.accounts.size(),
                  config_.policies.size(),
                  config_.dry_run ? " (dry run: nothing is changed)" : ""));
  return core::Ok();
}

void Guard::Stop() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  idle_cv_.notify_all();
}

std::unique_ptr<core::IncidentFeed::Subscription> Guard::Watch(core::IncidentFeed& feed) {
  if (empty()) return nullptr;
  return feed.SubscribeIncidents([this](const core::IncidentNotice& n) { OnIncident(n); });
}

void Guard::OnIncident(const core::IncidentNotice& notice) {
  if (!notice.here) return;  // another instance acts on it
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return;
    queue_.push_back({notice});
  }
  queue_cv_.notify_one();
}

bool Guard::WaitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return (queue_.empty() && !busy_) || stopping_; });
}

void Guard::Run() {
  while (true) {
    Work w;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      w = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Handle(w.notice);
    {
      std::lock_guard lock(queue_mu_);
      busy_ = false;
    }
    idle_cv_.notify_all();
  }
}

std::vector<std::string> Guard::Failed(const core::IncidentNotice& n) const {
  return Expand(n.platforms, n.domain, n.kind == core::IncidentNotice::Kind::kDomain);
}

std::vector<std::string> Guard::Expand(const std::vector<std::string>& platforms,
                                       const std::string& domain, bool domain_wide) const {
  std::vector<std::string> out = platforms;
  if (domain_wide && !domain.empty()) {
    for (const auto& [id, d] : domains_) {
      if (d == domain && std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
    }
  }
  return out;
}

void Guard::Handle(const core::IncidentNotice& n) {
  // Flapping platforms are not paused: the next outage incident will be.
  if (n.kind == core::IncidentNotice::Kind::kFlapping) return;
  std::lock_guard lock(mu_);
  const std::vector<std::string> failed = Failed(n);
  if (n.change == core::IncidentNotice::Change::kClosed) {
    // Whatever was paused for this incident resumes after the settle time (the longest of its
    // policies); a manual policy's campaigns wait for a person.
    CloseTransfers(n.incident_id, store::FromSystem(n.at));
    auto open = store_.Ads().List({.incident_id = n.incident_id, .open_only = true});
    if (!open.ok()) return Log("ads guard: " + open.error().message());
    if (open->empty()) return;
    std::chrono::milliseconds settle{0};
    bool any_auto = false;
    for (const auto& c : *open) {
      const Policy* p = FindPolicy(c.policy);
      if (p != nullptr && p->resume == Resume::kManual) continue;
      any_auto = true;
      settle = std::max(settle, p != nullptr ? p->settle : internal::kDefaultSettle);
    }
    if (!any_auto) return;
    const store::Time due = store::FromSystem(n.at) + settle;
    if (auto s = ScheduleResume(n.incident_id, due, 0); !s.ok())
      Log("ads guard: " + s.error().message());
    // Each change says when it is due back (the Ads page's "resumes at").
    for (auto c : *open) {
      const Policy* p = FindPolicy(c.policy);
      if (p != nullptr && p->resume == Resume::kManual) continue;
      c.resume_due = due;
      c.updated_at = Now();
      if (auto up = store_.Ads().Update(c); !up.ok()) Log("ads guard: " + up.error().message());
    }
    Timeline(n.incident_id, "ads_resume_scheduled",
             fmt::format("Ads: {} paused campaign(s) resume after the platform has been healthy "
                         "for {} (from {})",
                         open->size(), internal::Human(settle), core::FormatTime(due)),
             {{"due", core::FormatTime(due)}, {"settle_ms", settle.count()}, {"by", "lifeline"}});
    return;
  }
  for (const Policy& p : config_.policies) {
    if (p.action != Action::kPause) continue;
    if (!PolicyMatches(p, failed, n.domain, n.verdict)) continue;
    json payload{{"incident", n.incident_id}, {"failed", failed},
                 {"domain", n.domain},        {"verdict", core::VerdictName(n.verdict)},
                 {"policy", p.name},          {"by", "lifeline"},
                 {"dry_run", false}};
    const store::Time due = store::FromSystem(n.opened_at) + p.min_duration;
    store::NewTimer t;
    t.kind = std::string(kPauseTimer);
    t.key = fmt::format("ads/pause/{}/{}", n.incident_id, p.name);
    t.owner = "ads/" + n.incident_id;
    t.due = due;
    t.payload_json = payload.dump();
    auto scheduled = scheduler_.Schedule(std::move(t));
    if (!scheduled.ok()) {
      Log("ads guard: " + scheduled.error().message());
      continue;
    }
    if (scheduled->created) {
      Timeline(n.incident_id, "ads_pause_scheduled",
               fmt::format("Ads: policy {} pauses the active campaigns on {} if the incident "
                           "still lasts at {} ({} after it opened)",
                           p.name, internal::Names(failed, names_), core::FormatTime(due),
                           internal::Human(p.min_duration)),
               {{"policy", p.name}, {"due", core::FormatTime(due)}, {"by", "lifeline"}});
    }
  }
}

Result<std::string> Guard::PauseNow(const PauseRequest& r, std::string_view key) {
  if (empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "the ads guard has no accounts (add an ads: section to the config)");
  }
  std::lock_guard lock(mu_);
  json payload{{"incident", r.incident_id}, {"failed", r.failed},
               {"domain", r.domain},        {"verdict", core::VerdictName(r.verdict)},
               {"policy", r.policy},        {"by", r.by},
               {"dry_run", r.dry_run},      {"approved_by", r.approved_by}};
  store::NewTimer t;
  t.kind = std::string(kPauseTimer);
  t.key = std::string(key);
  t.owner = "ads/" + r.incident_id;
  t.due = Now();
  t.payload_json = payload.dump();
  LL_ASSIGN(auto scheduled, scheduler_.Schedule(std::move(t)));
  (void)scheduled;
  const auto accounts = AccountsFor(r.failed, nullptr);
  if (accounts.empty()) {
    return fmt::format("no ad account delivers on {}: nothing to pause",
                       internal::Names(r.failed, names_));
  }
  std::vector<std::string> names;
  for (const auto* a : accounts) names.push_back(a->name);
  return fmt::format("{} the active campaigns of {} (ads guard; each call on the timeline)",
                     r.dry_run || config_.dry_run ? "dry run: would pause" : "pausing",
                     fmt::join(names, ", "));
}

Status Guard::OnPauseTimer(const store::Timer& t) {
  json payload = json::parse(t.payload_json, nullptr, false);
  if (!payload.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "ads.pause timer {} has no payload", t.key);
  }
  std::lock_guard lock(mu_);
  return PauseWork(payload, payload.value("n", 0));
}

Status Guard::OnResumeTimer(const store::Timer& t) {
  json payload = json::parse(t.payload_json, nullptr, false);
  if (!payload.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "ads.resume timer {} has no payload", t.key);
  }
  std::lock_guard lock(mu_);
  return ResumeWork(payload.value("incident", std::string()), payload.value("n", 0));
}

Status Guard::ScheduleResume(const std::string& incident, store::Time due, int continuation) {
  store::NewTimer t;
  t.kind = std::string(kResumeTimer);
  t.key = fmt::format("ads/resume/{}/{}", incident, continuation);
  t.owner = "ads/" + incident;
  t.due = due;
  t.payload_json = json{{"incident", incident}, {"n", continuation}}.dump();
  LL_ASSIGN(auto scheduled, scheduler_.Schedule(std::move(t)));
  (void)scheduled;
  return core::Ok();
}

std::vector<const AccountConfig*> Guard::AccountsFor(const std::vector<std::string>& failed,
                                                     const Policy* policy) const {
  std::vector<const AccountConfig*> out;
  for (const AccountConfig& a : config_.accounts) {
    if (policy != nullptr && !policy->accounts.empty() &&
        std::find(policy->accounts.begin(), policy->accounts.end(), a.name) ==
            policy->accounts.end()) {
      continue;
    }
    const bool hit = std::any_of(a.platforms.begin(), a.platforms.end(), [&](const auto& p) {
      return std::find(failed.begin(), failed.end(), p) != failed.end();
    });
    if (hit) out.push_back(&a);
  }
  return out;
}

std::string Guard::PolicyFor(const std::vector<std::string>& failed, const std::string& domain,
                             core::Verdict verdict) const {
  for (const Policy& p : config_.policies) {
    if (PolicyMatches(p, failed, domain, verdict)) return p.name;
  }
  return "";
}

const Policy* Guard::FindPolicy(std::string_view name) const {
  for (const Policy& p : config_.policies) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

AdPlatform* Guard::Client(std::string_view account) {
  auto it = clients_.find(account);
  return it == clients_.end() ? nullptr : it->second.get();
}

Result<std::optional<store::Time>> Guard::HealthySince(const std::vector<std::string>& platforms) {
  std::optional<store::Time> last;
  for (const std::string& p : platforms) {
    store::IncidentQuery q;
    q.platform = p;
    q.limit = 20;
    LL_ASSIGN(store::IncidentPage page, store_.ListIncidents(q));
    for (const auto& inc : page.incidents) {
      if (inc.state == store::IncidentState::kOpen) return std::optional<store::Time>();
      if (inc.closed_at && (!last || *inc.closed_at > *last)) last = inc.closed_at;
    }
  }
  return std::optional<store::Time>(last.value_or(store::Time{}));
}

void Guard::Timeline(const std::string& incident, std::string_view type, std::string message,
                     json data) {
  if (incident.empty()) return;
  store::NewEvent e;
  e.at = Now();
  e.type = std::string(type);
  e.message = std::move(message);
  e.data_json = data.dump();
  auto stored = store_.AppendEvent(incident, e);
  if (!stored.ok()) {
    Log(fmt::format("ads guard: cannot add to the timeline of {}: {}", incident,
                    stored.error().message()));
    return;
  }
  timeline_listeners_.Publish(*stored);
}

std::unique_ptr<core::Subscription> Guard::Subscribe(
    std::function<void(const store::IncidentEvent&)> sink) {
  return timeline_listeners_.Add(std::move(sink));
}

void Guard::RecordCalls(const std::string& incident, const std::string& account,
                        std::string_view op, const std::vector<Call>& calls,
                        const Failure& failure) {
  if (calls.empty()) return;
  std::vector<store::AdCallRecord> records;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const Call& c = calls[i];
    store::AdCallRecord r;
    r.incident_id = incident;
    r.account = account;
    r.op = std::string(op);
    r.method = c.method;
    r.path = c.path;
    r.request = c.request;
    r.status = c.status;
    r.answer = c.answer;
    r.usage = c.usage;
    r.took_ms = c.took.count();
    // The failure belongs to the last call: the one that was refused.
    if (i + 1 == calls.size()) r.failure = std::string(FailureKindName(failure.kind));
    r.at = Now();
    records.push_back(std::move(r));
    json data{{"account", account},        {"op", op},
              {"method", c.method},        {"path", c.path},
              {"status", c.status},        {"answer", c.answer},
              {"took_ms", c.took.count()}, {"by", "lifeline"}};
    if (!c.request.empty()) data["request"] = c.request;
    if (!c.usage.empty()) data["usage"] = c.usage;
    if (!records.back().failure.empty()) data["failure"] = records.back().failure;
    Timeline(incident, "ads_call",
             fmt::format("Ads {}: {} {} -> {}", account, c.method, c.path,
                         c.status == 0 ? "no answer" : std::to_string(c.status)),
             std::move(data));
  }
  if (auto s = store_.Ads().AddCalls(records); !s.ok()) Log("ads guard: " + s.error().message());
}

std::chrono::milliseconds Guard::Backoff(const Failure& f) const {
  return std::max(options_.min_backoff, f.retry_after.value_or(std::chrono::seconds(30)));
}

store::Time Guard::Now() const { return store::FromSystem(clock_.Now()); }

void Guard::Log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

}  // namespace lifeline::ads
