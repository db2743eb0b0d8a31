// JSON forms of what the serve engine shows: every key is always present (null when unknown), so
// the dashboard and scripts never guess. Names follow /work/notes/api.md.
#include "serve/views.h"

#include "sources/feed.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/json.h"

namespace lifeline::serve {
namespace {

using json = nlohmann::json;

double Round(double v, double unit) { return std::round(v / unit) * unit; }

json TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? json(core::FormatTime(*t)) : json(nullptr);
}

// One status-page incident as the API shows it (and as it is stored).
json IncidentOfPageJson(const sources::StatusIncident& i) {
  return {{"name", i.name},
          {"impact", i.impact},
          {"status", i.status},
          {"url", i.url.empty() ? json(nullptr) : json(i.url)},
          {"updated_at", TimeOrNull(i.updated_at)}};
}

std::string_view SilenceKindKey(watch::SilenceKind k) {
  return k == watch::SilenceKind::kMaintenance ? "maintenance" : "silence";
}

}  // namespace

std::string FormatStoreTime(store::Time t) {
  return core::FormatTime(std::chrono::time_point_cast<std::chrono::system_clock::duration>(t));
}

json PlatformJson(const PlatformView& v, bool with_probes) {
  json j = {
      {"platform", v.platform},
      {"name", v.name},
      {"domain", v.domain},
      {"verdict", core::VerdictName(v.verdict)},
      {"layer", core::LayerName(v.layer)},
      {"detail", v.detail},
      {"confidence", Round(v.confidence, 0.01)},
      {"reason", v.reason},
      {"evidence", v.evidence},
      {"latency_ms", v.latency_ms ? json(Round(*v.latency_ms, 0.1)) : json(nullptr)},
      {"checked_at", TimeOrNull(v.checked_at)},
      {"state", v.state},
      {"incident_id", v.incident_id.empty() ? json(nullptr) : json(v.incident_id)},
      {"suppressed", nullptr},
      {"status_page", nullptr},
      {"crowd",
       {{"reports_last_hour", v.crowd.reports_last_hour},
        {"reports", v.crowd.reports},
        {"baseline", Round(v.crowd.baseline, 0.01)},
        {"ratio", Round(v.crowd.ratio, 0.01)},
        {"flagged", v.crowd.flagged},
        {"evidence", v.crowd.evidence},
        // Measured reports of the last hour (the dashboard's device check), apart from typed.
        {"measured",
         {{"reports", v.crowd.measured.total()},
          {"unreachable", v.crowd.measured.unreachable},
          {"reachable", v.crowd.measured.reachable},
          {"evidence", v.crowd.measured_evidence}}},
        // Outage chatter from listening: its spike line, null when it is not spiking.
        {"chatter_evidence",
         v.crowd.chatter_evidence.empty() ? json(nullptr) : json(v.crowd.chatter_evidence)}}},
  };
  if (v.suppressed) {
    j["suppressed"] = {{"name", v.suppressed->name},
                       {"kind", SilenceKindKey(v.suppressed->kind)},
                       {"until", core::FormatTime(v.suppressed->until)},
                       {"message", v.suppressed->message}};
  }
  if (v.status_page) {
    const auto& s = *v.status_page;
    j["status_page"] = {{"indicator", s.state.fetched ? json(s.state.indicator) : json(nullptr)},
                        {"description", s.state.fetched ? s.state.description : s.state.error},
                        {"fetched", s.state.fetched},
                        {"fetched_at", TimeOrNull(s.fetched_at)},
                        // The page's newest open incident: what the platform itself says now.
                        {"incident", s.state.fetched && !s.state.incidents.empty()
                                         ? IncidentOfPageJson(s.state.incidents.front())
                                         : json(nullptr)}};
  }
  if (with_probes) {
    json probes = json::array();
    for (const auto& p : v.probes) probes.push_back(core::ToJson(p));
    j["probes"] = std::move(probes);
  }
  return j;
}

json ObserverJson(const diagnose::Observer& o) {
  return {{"connectivity", core::ConnectivityName(o.connectivity)},
          {"evidence", o.evidence},
          {"layer", core::LayerName(o.layer)},
          {"detail", o.detail},
          {"confidence", Round(o.confidence, 0.01)}};
}

json IncidentJson(const store::Incident& inc) {
  json duration = nullptr;
  if (inc.closed_at) {
    duration =
        std::chrono::duration_cast<std::chrono::seconds>(*inc.closed_at - inc.opened_at).count();
  }
  return {{"id", inc.id},
          {"kind", store::IncidentKindName(inc.kind)},
          {"domain", inc.domain},
          {"platforms", inc.platforms},
          {"verdict", core::VerdictName(inc.verdict)},
          {"state", store::IncidentStateName(inc.state)},
          {"title", inc.title},
          {"opened_at", FormatStoreTime(inc.opened_at)},
          {"updated_at", FormatStoreTime(inc.updated_at)},
          {"closed_at", inc.closed_at ? json(FormatStoreTime(*inc.closed_at)) : json(nullptr)},
          {"duration_s", duration},
          {"last_seq", inc.last_seq}};
}

json HistoryJson(std::string_view platform, const std::vector<store::MinuteAggregate>& aggregates) {
  // Per minute: counts add up; a percentile over several probes cannot be recombined exactly, so
  // p50 is the count-weighted mean of the probes' medians and p95/p99 the worst probe's (a chart
  // should not hide the slow endpoint).
  struct Point {
    std::int64_t count = 0, ok = 0, latency_count = 0;
    double p50_weighted = 0;
    std::optional<double> p95, p99;
  };
  std::map<store::Time, Point> minutes;
  for (const auto& a : aggregates) {
    Point& p = minutes[a.minute];
    p.count += a.count;
    p.ok += a.ok_count;
    if (a.latency_count > 0 && a.latency_p50) {
      p.latency_count += a.latency_count;
      p.p50_weighted += *a.latency_p50 * static_cast<double>(a.latency_count);
    }
    if (a.latency_p95) p.p95 = std::max(p.p95.value_or(0), *a.latency_p95);
    if (a.latency_p99) p.p99 = std::max(p.p99.value_or(0), *a.latency_p99);
  }
  json points = json::array();
  for (const auto& [minute, p] : minutes) {
    auto opt = [](const std::optional<double>& v) {
      return v ? json(Round(*v, 0.1)) : json(nullptr);
    };
    points.push_back(
        {{"t", FormatStoreTime(minute)},
         {"count", p.count},
         {"availability", p.count ? Round(static_cast<double>(p.ok) / p.count, 0.0001) : 0.0},
         {"p50_ms", p.latency_count
                        ? json(Round(p.p50_weighted / static_cast<double>(p.latency_count), 0.1))
                        : json(nullptr)},
         {"p95_ms", opt(p.p95)},
         {"p99_ms", opt(p.p99)}});
  }
  return {{"platform", platform}, {"points", std::move(points)}};
}

json StatusStateJson(const sources::StatusPageState& s) {
  json components = json::array();
  for (const auto& [name, status] : s.degraded_components) {
    components.push_back({{"name", name}, {"status", status}});
  }
  json incidents = json::array();
  for (const auto& i : s.incidents) incidents.push_back(IncidentOfPageJson(i));
  return {{"fetched", s.fetched},         {"error", s.error},         {"indicator", s.indicator},
          {"description", s.description}, {"components", components}, {"incidents", incidents}};
}

sources::StatusPageState StatusStateFromJson(const json& j) {
  sources::StatusPageState s;
  if (!j.is_object()) return s;
  s.fetched = j.value("fetched", false);
  s.error = j.value("error", "");
  s.indicator = j.value("indicator", "");
  s.description = j.value("description", "");
  if (auto c = j.find("components"); c != j.end() && c->is_array()) {
    for (const auto& item : *c) {
      if (item.is_object()) {
        s.degraded_components.emplace_back(item.value("name", ""), item.value("status", ""));
      }
    }
  }
  if (auto c = j.find("incidents"); c != j.end() && c->is_array()) {
    for (const auto& item : *c) {
      if (item.is_object()) {
        sources::StatusIncident i{item.value("name", ""), item.value("impact", ""),
                                  item.value("status", ""), "", std::nullopt};
        if (auto u = item.find("url"); u != item.end() && u->is_string()) i.url = *u;
        if (auto t = item.find("updated_at"); t != item.end() && t->is_string()) {
          i.updated_at = sources::ParseRfc3339Time(t->get<std::string>());
        }
        s.incidents.push_back(std::move(i));
      }
    }
  }
  return s;
}

json StatusPageJson(std::string_view platform, const StatusPageView& v) {
  json components = json::array();
  for (const auto& [name, status] : v.state.degraded_components) {
    components.push_back({{"name", name}, {"status", status}});
  }
  json incidents = json::array();
  if (v.state.fetched) {
    for (const auto& i : v.state.incidents) incidents.push_back(IncidentOfPageJson(i));
  }
  return {
      {"platform", platform},
      {"url", v.url},
      {"kind", v.kind},
      {"incidents", std::move(incidents)},
      {"fetched", v.state.fetched},
      {"indicator", v.state.fetched ? json(v.state.indicator) : json(nullptr)},
      {"description", v.state.description},
      {"components", std::move(components)},
      {"fetched_at", TimeOrNull(v.fetched_at)},
      {"error", v.state.fetched || v.state.error.empty() ? json(nullptr) : json(v.state.error)}};
}

}  // namespace lifeline::serve
