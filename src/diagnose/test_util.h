// Small builders for diagnose's table-driven tests: probes that load or fail at a layer, vantage
// points that load, fail, are unreachable or unhealthy, status pages and observers.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "diagnose/diagnose.h"

namespace lifeline::diagnose::testutil {

using core::Connectivity;
using core::Layer;
using core::ProbeResult;

inline ProbeResult OkProbe(std::string target = "https://www.platform.test/", double total_ms = 100,
                           bool slow = false) {
  ProbeResult r;
  r.probe_id = "web";
  r.target = std::move(target);
  r.ok = true;
  r.slow = slow;
  r.http_status = 200;
  r.timings.total = total_ms;
  return r;
}

inline ProbeResult FailProbe(Layer layer, std::string detail,
                             std::string target = "https://www.platform.test/",
                             int http_status = 0) {
  ProbeResult r;
  r.probe_id = "web";
  r.target = std::move(target);
  r.ok = false;
  r.layer = layer;
  r.detail = std::move(detail);
  r.http_status = http_status;
  return r;
}

inline ProbeResult Api(ProbeResult r) {
  r.probe_id = "api";
  r.target = "https://api.platform.test/v1/me";
  r.api = true;
  return r;
}

// A DNS result for `name` through `resolver` ("system" or an address).
inline ProbeResult DnsOk(std::string name, std::string resolver) {
  ProbeResult r;
  r.kind = core::ProbeKind::kDns;
  r.target = resolver == "system" ? "dns:" + name : "dns:" + name + "@" + resolver;
  r.resolver = std::move(resolver);
  r.ok = true;
  r.addresses = {"198.51.100.10"};
  r.timings.dns = 5;
  r.timings.total = 5;
  return r;
}

inline ProbeResult DnsFail(std::string name, std::string resolver, std::string detail) {
  ProbeResult r = DnsOk(std::move(name), std::move(resolver));
  r.ok = false;
  r.addresses.clear();
  r.layer = Layer::kDns;
  r.detail = std::move(detail);
  return r;
}

inline std::vector<ProbeResult> From(std::string name, std::vector<ProbeResult> results) {
  for (auto& r : results) r.from = name;
  return results;
}

inline VantageInput Vantage(std::string name, std::string region,
                            std::vector<ProbeResult> results) {
  VantageInput v;
  v.name = name;
  v.region = std::move(region);
  v.reachable = true;
  v.results = From(std::move(name), std::move(results));
  return v;
}

inline VantageInput VOk(std::string name, std::string region) {
  return Vantage(std::move(name), std::move(region), {OkProbe()});
}

inline VantageInput VFail(std::string name, std::string region, Layer layer, std::string detail) {
  return Vantage(std::move(name), std::move(region), {FailProbe(layer, std::move(detail))});
}

inline VantageInput VUnreachable(std::string name, std::string region, std::string error) {
  VantageInput v;
  v.name = std::move(name);
  v.region = std::move(region);
  v.reachable = false;
  v.error = std::move(error);
  return v;
}

// Reachable, but its own control check failed; `results` would mislead if trusted.
inline VantageInput VUnhealthy(std::string name, std::string region, Connectivity c,
                               std::vector<ProbeResult> results) {
  VantageInput v = Vantage(std::move(name), std::move(region), std::move(results));
  v.connectivity = c;
  return v;
}

inline StatusInput Status(std::string indicator, std::string description = "") {
  StatusInput s;
  s.fetched = true;
  s.indicator = std::move(indicator);
  s.description = std::move(description);
  return s;
}

inline Observer ObsOk() {
  Observer o;
  o.evidence = {"5 of 5 control sites load"};
  o.confidence = 0.97;
  return o;
}

// Connectivity ok, but `impaired` of this round's `probes` to independent hosts timed out or were
// slow: not enough to call the line unreliable, enough that it is not clean.
inline Observer ObsNotClean(std::size_t impaired = 2, std::size_t probes = 9) {
  Observer o = ObsOk();
  o.line_probes = probes;
  o.line_impaired = impaired;
  return o;
}

inline Observer ObsBad(Connectivity c, Layer layer, std::string detail, std::string evidence) {
  Observer o;
  o.connectivity = c;
  o.layer = layer;
  o.detail = std::move(detail);
  o.evidence = {std::move(evidence)};
  o.confidence = 0.9;
  return o;
}

inline core::Platform Plat(std::string id, std::string domain) {
  core::Platform p;
  p.id = id;
  p.name = id;
  p.name[0] = static_cast<char>(p.name[0] - 'a' + 'A');
  p.domain = std::move(domain);
  return p;
}

}  // namespace lifeline::diagnose::testutil
