// What the serve engine shows through the API, and its JSON forms (the contract in
// /work/notes/api.md: PlatformView, Incident, Event, history points, status pages). Pure data.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/types.h"
#include "diagnose/diagnose.h"
#include "sources/statuspage.h"
#include "store/records.h"
#include "watch/measured.h"
#include "watch/silence.h"

namespace lifeline::serve {

using TimePoint = std::chrono::system_clock::time_point;

struct CrowdView {
  int reports_last_hour = 0;
  int reports = 0;  // in the crowd window
  double baseline = 0;
  double ratio = 0;
  bool flagged = false;
  std::string evidence;
  // Measured reports (the dashboard's device check) in the last hour, and their evidence line
  // ("" when there is none). The unreachable ones are also counted in `reports` above.
  watch::MeasuredCounts measured;
  std::string measured_evidence;
  // Outage chatter (listening): the spike detector's line while the platform's chatter query
  // spikes, "" otherwise (listen::ChatterEvidence). Evidence beside the crowd, never a verdict.
  std::string chatter_evidence;
};

struct SuppressedView {
  std::string name;
  watch::SilenceKind kind = watch::SilenceKind::kMaintenance;
  TimePoint until;
  std::string message;  // "suppressed: maintenance window 'X' until T"
};

// A platform's official status page as last polled.
struct StatusPageView {
  std::string url;
  std::optional<TimePoint> fetched_at;  // unset before the first poll
  sources::StatusPageState state;
  std::string kind = "statuspage";  // core::StatusPageRef::kind: statuspage | rss | atom | feed
};

struct PlatformView {
  std::string platform;
  std::string name;
  std::string domain;
  core::Verdict verdict = core::Verdict::kUnknown;
  core::Layer layer = core::Layer::kNone;
  std::string detail;
  double confidence = 0;
  std::string reason = "not checked yet";
  std::vector<std::string> evidence;
  std::optional<double> latency_ms;
  std::optional<TimePoint> checked_at;
  std::string state = "ok";  // watch::StateName
  std::string incident_id;   // "" = none
  std::optional<SuppressedView> suppressed;
  std::optional<StatusPageView> status_page;
  CrowdView crowd;
  std::vector<core::ProbeResult> probes;  // the last round's, for GET /v1/platforms/{id}
};

// PlatformView as in api.md; `with_probes` adds "probes" (GET /v1/platforms/{id}).
nlohmann::json PlatformJson(const PlatformView& v, bool with_probes = false);
nlohmann::json ObserverJson(const diagnose::Observer& o);
nlohmann::json IncidentJson(const store::Incident& inc);
// {"platform", "points": [{"t","count","availability","p50_ms","p95_ms","p99_ms"}]}: one point per
// minute over the aggregates given (every probe of the platform from one place, combined).
nlohmann::json HistoryJson(std::string_view platform,
                           const std::vector<store::MinuteAggregate>& aggregates);
// One entry of GET /v1/status-pages.
nlohmann::json StatusPageJson(std::string_view platform, const StatusPageView& v);
// The stored form of a status page (store::StatusPageState::raw_json) and back.
nlohmann::json StatusStateJson(const sources::StatusPageState& s);
sources::StatusPageState StatusStateFromJson(const nlohmann::json& j);

// RFC 3339 UTC (seconds) of a store time.
std::string FormatStoreTime(store::Time t);

}  // namespace lifeline::serve
