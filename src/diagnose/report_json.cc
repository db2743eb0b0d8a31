// The `lifeline check --json` document. Every key is always present; a value that is not known is
// null (latency_ms, rtt_ms, status) and a missing layer is "" (core::LayerName(kNone)).
#include "diagnose/report_json.h"

#include <cmath>

#include "core/json.h"

namespace lifeline::diagnose {
namespace {

using nlohmann::json;

double Round(double v, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

json Optional(const std::optional<double>& v, int digits) {
  return v ? json(Round(*v, digits)) : json(nullptr);
}

json ToJson(const StatusInput& s) {
  json components = json::array();
  for (const auto& [name, status] : s.degraded_components) {
    components.push_back({{"name", name}, {"status", status}});
  }
  return {{"fetched", s.fetched},
          {"error", s.error},
          {"indicator", s.indicator},
          {"description", s.description},
          {"components", components}};
}

}  // namespace

json ToJson(const Diagnosis& d) {
  json probes = json::array();
  for (const auto& p : d.probes) probes.push_back(core::ToJson(p));
  return {{"platform", d.platform},
          {"name", d.name},
          {"domain", d.domain},
          {"verdict", core::VerdictName(d.verdict)},
          {"layer", core::LayerName(d.layer)},
          {"detail", d.detail},
          {"confidence", Round(d.confidence, 2)},
          {"reason", d.reason},
          {"evidence", d.evidence},
          {"latency_ms", Optional(d.latency_ms, 1)},
          {"status", d.status ? ToJson(*d.status) : json(nullptr)},
          {"probes", probes}};
}

json ToJson(const DomainEvent& e) {
  return {{"domain", e.domain},         {"verdict", core::VerdictName(e.verdict)},
          {"platforms", e.platforms},   {"affected", e.affected},
          {"correlated", e.correlated}, {"layer", core::LayerName(e.layer)},
          {"detail", e.detail},         {"evidence", e.evidence}};
}

json ToJson(const CheckReport& report) {
  json platforms = json::array();
  for (const auto& d : report.platforms) platforms.push_back(ToJson(d));
  json domains = json::array();
  for (const auto& e : report.domains) domains.push_back(ToJson(e));
  json vantage = json::array();
  for (const auto& v : report.vantage_points) {
    vantage.push_back({{"name", v.name},
                       {"region", v.region},
                       {"reachable", v.reachable},
                       {"error", v.error},
                       {"connectivity", core::ConnectivityName(v.connectivity)},
                       {"rtt_ms", Optional(v.rtt_ms, 1)}});
  }
  return {{"checked_at", core::FormatTime(report.checked_at)},
          {"observer",
           {{"connectivity", core::ConnectivityName(report.observer.connectivity)},
            {"evidence", report.observer.evidence},
            {"layer", core::LayerName(report.observer.layer)},
            {"detail", report.observer.detail},
            {"confidence", Round(report.observer.confidence, 2)}}},
          {"platforms", platforms},
          {"domains", domains},
          {"vantage_points", vantage},
          {"notes", report.notes},
          {"exit_code", ExitCode(report)}};
}

}  // namespace lifeline::diagnose
