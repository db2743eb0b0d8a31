// Drills in serve (drill.h): resolving what is drilled, opening and ending drill incidents, the
// end timer, and the drill report of a real drill.
#include "playbook/drill.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/values.h"
#include "playbook/engine_internal.h"

namespace lifeline::playbook {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;
using engine_internal::Human;
using engine_internal::Join;
using json = nlohmann::json;

namespace {

std::string TriggerText(const Response& r) {
  std::vector<std::string> parts;
  if (!r.trigger.platforms.empty()) parts.push_back("platforms " + Join(r.trigger.platforms));
  if (!r.trigger.domains.empty()) parts.push_back("domains " + Join(r.trigger.domains));
  std::vector<std::string> verdicts;
  for (core::Verdict v : r.trigger.verdicts) verdicts.emplace_back(core::VerdictName(v));
  parts.push_back("verdicts " + Join(verdicts));
  return fmt::format("{} ({})", r.name, Join(parts, "; "));
}

}  // namespace

Result<DrillTarget> ResolveDrill(const Plan& plan,
                                 const std::map<std::string, std::string, std::less<>>& names,
                                 std::string_view platform, bool domain_wide) {
  auto it = plan.platform_domains.find(platform);
  if (it == plan.platform_domains.end()) {
    std::vector<std::string> ids;
    for (const auto& [id, d] : plan.platform_domains) ids.push_back(id);
    auto near = config::Closest(platform, ids);
    return MakeError(ErrorCode::kNotFound,
                     "unknown platform '{}'{} (`lifeline check --list` lists the catalog's ids)",
                     platform, near ? fmt::format(" (did you mean '{}'?)", *near) : "");
  }
  DrillTarget t;
  t.platform = std::string(platform);
  auto n = names.find(platform);
  t.name = n == names.end() ? t.platform : n->second;
  t.domain = it->second;
  t.domain_wide = domain_wide;
  if (domain_wide) {
    if (t.domain.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "{} belongs to no failure domain: drill it without --domain", t.name);
    }
    for (const auto& [id, d] : plan.platform_domains) {
      if (d == t.domain) t.platforms.push_back(id);
    }
  } else {
    t.platforms = {t.platform};
  }
  t.failure.platforms = t.platforms;
  t.failure.domain = t.domain;
  t.failure.domain_wide = domain_wide;
  t.failure.verdict = core::Verdict::kOutage;
  for (const Response* r : plan.Responding(t.failure)) t.responses.push_back(r->name);
  if (t.responses.empty()) {
    std::vector<std::string> triggers;
    for (const Response& r : plan.responses) triggers.push_back(TriggerText(r));
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no response of the plan answers {} (platform {}{}): nothing would run. The "
                     "plan's triggers: {}",
                     domain_wide ? fmt::format("a {}-wide outage", t.domain)
                                 : fmt::format("an outage of {}", t.name),
                     t.platform, t.domain.empty() ? "" : ", failure domain " + t.domain,
                     triggers.empty() ? "none" : Join(triggers, "; "));
  }
  return t;
}

Result<Duration> ParseDrillDuration(std::string_view text) {
  const auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     "'{}' is not a duration (write e.g. 90s, 3m, 30m, 1h30m)", text);
  };
  if (text.empty()) return bad();
  Duration total{0};
  std::string_view rest = text;
  while (!rest.empty()) {
    long long n = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (ec != std::errc() || end == rest.data() || n < 0) return bad();
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    if (rest.starts_with("ms")) {
      total += Duration(n);
      rest.remove_prefix(2);
    } else if (rest.starts_with("s")) {
      total += std::chrono::seconds(n);
      rest.remove_prefix(1);
    } else if (rest.starts_with("m")) {
      total += std::chrono::minutes(n);
      rest.remove_prefix(1);
    } else if (rest.starts_with("h")) {
      total += std::chrono::hours(n);
      rest.remove_prefix(1);
    } else {
      return bad();
    }
  }
  return total;
}

DrillService::DrillService(const Plan& plan, Engine& engine, store::Store& store,
                           timers::Scheduler& scheduler, DrillOptions options)
    : plan_(plan),
      engine_(engine),
      store_(store),
      scheduler_(scheduler),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : core::RealClock()),
      console_base_(options_.console_base) {}

Status DrillService::Register() {
  return scheduler_.On(std::string(kDrillEndTimer),
                       [this](const store::Timer& t) { return OnEnd(t); });
}

Status DrillService::Resume() {
  store::IncidentQuery q;
  q.state = store::IncidentState::kOpen;
  q.drills = store::DrillFilter::kOnly;
  q.limit = 1000;
  LL_ASSIGN(store::IncidentPage page, store_.ListIncidents(q));
  // The serve engine's feed never names drills: the playbook engine hears of open ones here.
  for (const store::Incident& inc : page.incidents) {
    engine_.OnIncident(Notice(inc, core::IncidentNotice::Change::kOpened));
  }
  return core::Ok();
}

void DrillService::SetConsoleBase(std::string base) {
  std::lock_guard lock(mu_);
  console_base_ = std::move(base);
}

std::string DrillService::ConsoleUrl(std::string_view id) const {
  std::lock_guard lock(mu_);
  if (console_base_.empty()) return "";
  std::string base = console_base_;
  if (base.back() != '/') base += '/';
  return base + "#/incident/" + std::string(id);
}

core::IncidentNotice DrillService::Notice(const store::Incident& inc,
                                          core::IncidentNotice::Change change) const {
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
  n.at = inc.closed_at ? TimePoint(*inc.closed_at) : TimePoint(inc.updated_at);
  return n;
}

Result<store::Incident> DrillService::Start(const DrillRequest& req) {
  LL_ASSIGN(DrillTarget target,
            ResolveDrill(plan_, options_.platform_names, req.platform, req.domain));
  const Duration duration = req.duration.value_or(kDefaultDrillDuration);
  if (duration < kMinDrillDuration || duration > kMaxDrillDuration) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "duration {} is outside what a drill may last ({} to {})", Human(duration),
                     Human(kMinDrillDuration), Human(kMaxDrillDuration));
  }
  std::lock_guard lock(mu_);
  {
    store::IncidentQuery q;
    q.state = store::IncidentState::kOpen;
    q.drills = store::DrillFilter::kOnly;
    q.platform = target.platform;
    q.limit = 1;
    LL_ASSIGN(store::IncidentPage open, store_.ListIncidents(q));
    if (!open.incidents.empty()) {
      return MakeError(ErrorCode::kAlreadyExists,
                       "drill {} on {} is still running: end it first (POST /v1/drills/{}/end or "
                       "`lifeline drill end {}`)",
                       open.incidents[0].id, target.name, open.incidents[0].id,
                       open.incidents[0].id);
    }
  }
  const TimePoint now = Now();
  const std::string what = target.domain_wide ? fmt::format("{}-wide", target.domain) : target.name;
  const std::string by = req.by.empty() ? "api" : req.by;
  store::NewIncident ni;
  ni.kind = target.domain_wide ? store::IncidentKind::kDomain : store::IncidentKind::kPlatform;
  ni.domain = target.domain;
  ni.platforms = target.platforms;
  ni.verdict = core::Verdict::kOutage;
  ni.title = fmt::format("Drill: {} outage", what);
  ni.opened_at = store::FromSystem(now);
  ni.drill = true;
  ni.message = fmt::format(
      "Drill started by {}: a simulated {} outage for {} (responses: {}). Nothing really "
      "failed: no verdict, status page or relay circuit changes",
      by, what, Human(duration), Join(target.responses));
  ni.data_json = json{{"drill", true},
                      {"platform", target.platform},
                      {"domain_wide", target.domain_wide},
                      {"duration_ms", duration.count()},
                      {"by", by},
                      {"test_audience", plan_.drill.audience}}
                     .dump();
  LL_ASSIGN(store::Incident inc, store_.OpenIncident(ni));
  store::NewTimer t;
  t.key = fmt::format("drill/{}/end", inc.id);
  t.kind = std::string(kDrillEndTimer);
  t.due = store::FromSystem(now + duration);
  t.payload_json = json{{"incident", inc.id}}.dump();
  t.owner = inc.id;
  if (auto s = scheduler_.Schedule(std::move(t)); !s.ok()) {
    // Without its end the drill would run for ever: end it now rather than leave it open.
    store::NewEvent e{store::FromSystem(now), "closed",
                      "Drill ended at once: its end could not be scheduled: " + s.error().message(),
                      "{}"};
    (void)store_.CloseIncident(inc.id, e);
    return s.error();
  }
  if (options_.log) {
    options_.log(fmt::format("drill {} started by {}: simulated {} outage for {}", inc.id, by, what,
                             Human(duration)));
  }
  engine_.OnIncident(Notice(inc, core::IncidentNotice::Change::kOpened));
  return inc;
}

Result<store::Incident> DrillService::Get(std::string_view id) {
  auto inc = store_.GetIncident(id);
  if (!inc.ok()) {
    if (inc.error().code() == ErrorCode::kNotFound) {
      return MakeError(ErrorCode::kNotFound, "no drill {}", id);
    }
    return inc.error();
  }
  if (!inc->drill) {
    return MakeError(ErrorCode::kNotFound, "{} is a real incident, not a drill", id);
  }
  return inc;
}

Result<std::vector<store::Incident>> DrillService::List(std::size_t limit) {
  store::IncidentQuery q;
  q.drills = store::DrillFilter::kOnly;
  q.limit = std::clamp<std::size_t>(limit, 1, 1000);
  LL_ASSIGN(store::IncidentPage page, store_.ListIncidents(q));
  return page.incidents;
}

Result<store::Incident> DrillService::End(std::string_view id, std::string_view by) {
  LL_ASSIGN(store::Incident inc, Get(id));
  if (inc.state == store::IncidentState::kClosed) {
    return MakeError(ErrorCode::kFailedPrecondition, "drill {} ended at {}", id,
                     core::FormatTime(inc.closed_at.value_or(inc.updated_at)));
  }
  const TimePoint now = Now();
  store::NewEvent e;
  e.at = store::FromSystem(now);
  e.type = "closed";
  e.message =
      fmt::format("Drill ended by {}: the simulated outage is over (restoration after {})", by,
                  Human(std::chrono::duration_cast<Duration>(now - TimePoint(inc.opened_at))));
  e.data_json = json{{"drill", true}, {"by", by}}.dump();
  LL_ASSIGN(store::Incident closed, store_.CloseIncident(inc.id, e));
  auto cancelled = scheduler_.Cancel(fmt::format("drill/{}/end", inc.id));
  (void)cancelled;  // gone already (it is what ended the drill) or never scheduled
  if (options_.log) options_.log(fmt::format("drill {} ended by {}", inc.id, by));
  engine_.OnIncident(Notice(closed, core::IncidentNotice::Change::kClosed));
  return closed;
}

Status DrillService::OnEnd(const store::Timer& t) {
  json p = json::parse(t.payload_json, nullptr, false);
  if (!p.is_object() || !p.contains("incident") || !p["incident"].is_string()) {
    return MakeError(ErrorCode::kInvalidArgument, "timer {}: bad payload", t.key);
  }
  auto ended = End(p["incident"].get<std::string>(), "lifeline (the drill's duration ran out)");
  if (ended.ok()) return core::Ok();
  const ErrorCode c = ended.error().code();
  if (c == ErrorCode::kFailedPrecondition || c == ErrorCode::kNotFound) return core::Ok();
  return ended.error();
}

std::optional<store::Time> DrillService::EndsAt(const store::Incident& drill) {
  if (drill.state == store::IncidentState::kClosed) return std::nullopt;
  auto t = store_.Timers().Get(fmt::format("drill/{}/end", drill.id));
  if (!t.ok() || store::IsFinal(t->state)) return std::nullopt;
  return t->due;
}

DrillSetup DrillService::SetupOf(const store::Incident& inc) {
  DrillSetup s;
  s.id = inc.id;
  s.plan_name = plan_.name;
  s.domain = inc.domain;
  s.platforms = inc.platforms;
  s.domain_wide = inc.kind == store::IncidentKind::kDomain;
  s.console_url = ConsoleUrl(inc.id);
  s.test_audience = plan_.drill.audience;
  auto events = store_.ListEvents(inc.id, 0, 1);
  if (events.ok() && !events->empty()) {
    json d = json::parse(events->front().data_json, nullptr, false);
    if (d.is_object()) {
      s.platform = d.value("platform", std::string());
      s.started_by = d.value("by", std::string());
      s.duration = Duration(d.value("duration_ms", std::int64_t{0}));
      if (d.contains("test_audience") && d["test_audience"].is_array()) {
        s.test_audience.clear();
        for (const json& a : d["test_audience"]) {
          if (a.is_string()) s.test_audience.push_back(a.get<std::string>());
        }
      }
    }
  }
  if (s.platform.empty() && !inc.platforms.empty()) s.platform = inc.platforms.front();
  auto n = options_.platform_names.find(s.platform);
  s.platform_name = n == options_.platform_names.end() ? s.platform : n->second;
  return s;
}

Result<DrillReport> DrillService::Report(std::string_view id) {
  LL_ASSIGN(store::Incident inc, Get(id));
  report::ReportOptions o;
  o.now = store::FromSystem(Now());
  return BuildDrillReport(store_, plan_, inc.id, SetupOf(inc), o);
}

}  // namespace lifeline::playbook
