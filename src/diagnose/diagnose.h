// Evidence -> verdict. Pure functions over what the probes, vantage points and status pages saw,
// following the reasoning order of DESIGN.md: this device, its resolver vs direct resolvers,
// independent control endpoints, the platform here, the platform from elsewhere and its status.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace lifeline::diagnose {

// Everything known about this observer's own connection.
struct ObserverInput {
  bool has_interface = true;  // a non-loopback interface is up with an address
  bool has_default_route = true;
  std::vector<core::ProbeResult> control;     // control endpoints (http) from here
  std::vector<core::ProbeResult> system_dns;  // control names via this machine's resolver
  std::vector<core::ProbeResult> direct_dns;  // control names via each configured direct resolver
};

struct Observer {
  core::Connectivity connectivity = core::Connectivity::kOk;
  std::vector<std::string> evidence;  // "5 of 5 control sites load"
  // The dominant failure of this side (control endpoints or resolver); kNone / "" when ok.
  core::Layer layer = core::Layer::kNone;
  std::string detail;
  double confidence = 0;  // [0, 1] in `connectivity`; 0 when nothing could verify it
};

// Judges this observer's own connection (docs/verdicts.md, "This side"). The control endpoints
// count as failing when a strict majority of them fail; no control endpoints means "ok, but
// unverified" (confidence 0, said in the evidence).
Observer AssessObserver(const ObserverInput& in);

// What one vantage point said about one platform.
struct VantageInput {
  std::string name;
  std::string region;
  bool reachable = false;                                     // the agent answered with results
  std::string error;                                          // why not, when !reachable
  core::Connectivity connectivity = core::Connectivity::kOk;  // the agent's own control check
  std::vector<core::ProbeResult> results;                     // this platform's probes, run there
};

// An official status page (Atlassian Statuspage v2).
struct StatusInput {
  bool fetched = false;
  std::string error;        // why not, when !fetched
  std::string indicator;    // none | minor | major | critical | maintenance
  std::string description;  // "Partial System Outage"
  std::vector<std::pair<std::string, std::string>> degraded_components;  // name, status
};

struct PlatformInput {
  core::Platform platform;
  std::vector<core::ProbeResult> here;        // the platform's http/tcp probes from here
  std::vector<core::ProbeResult> dns_here;    // its dns_names via this machine's resolver
  std::vector<core::ProbeResult> dns_direct;  // its dns_names via the direct resolvers
  std::vector<VantageInput> vantage;          // one per configured vantage point
  std::optional<StatusInput> status;          // set when the platform has a status page
};

struct Thresholds {
  // Share of reachable, healthy vantage points that must fail too for "everyone". Fewer failing
  // (but at least one) is a regional outage; none failing while it fails here is just_you.
  double everyone_fraction = 0.75;
};

struct Diagnosis {
  std::string platform;  // id
  std::string name;
  std::string domain;
  core::Verdict verdict = core::Verdict::kUnknown;
  core::Layer layer = core::Layer::kNone;  // the failing layer, kNone when up
  std::string detail;                      // core::detail value
  double confidence = 0;                   // [0, 1]
  std::string reason;                      // one line for the table
  std::vector<std::string> evidence;       // lines a person can read
  std::optional<double> latency_ms;        // median total time of successful probes here
  std::vector<core::ProbeResult> probes;   // here, direct DNS, and from each vantage point
  std::optional<StatusInput> status;
};

// One platform's verdict as seen by `observer`. Never fails: missing evidence (an unreachable
// vantage point, an unfetched status page) is stated in the evidence and lowers the confidence.
Diagnosis Diagnose(const Observer& observer, const PlatformInput& in,
                   const Thresholds& thresholds = {});

// One failure domain's state: a correlated failure of several of its platforms is one event.
struct DomainEvent {
  std::string domain;
  core::Verdict verdict = core::Verdict::kUp;  // worst shared verdict of its platforms
  std::vector<std::string> platforms;          // ids of the checked platforms of this domain
  std::vector<std::string> affected;           // ids of those with a problem verdict
  bool correlated = false;                     // two or more failing at the same layer at once
  core::Layer layer = core::Layer::kNone;
  std::string detail;
  std::vector<std::string> evidence;
};

// Groups diagnoses by failure domain, in first-seen order (a platform without a domain is its own
// domain, named by its id). Observer-side verdicts (local_dns, local_network, no_network) are never
// correlated: their cause is this machine, not the domain.
std::vector<DomainEvent> CorrelateDomains(const std::vector<Diagnosis>& diagnoses);

// A vantage point's state for the report: missing evidence is stated, never hidden.
struct VantageStatus {
  std::string name;
  std::string region;
  bool reachable = false;
  std::string error;
  core::Connectivity connectivity = core::Connectivity::kOk;
  std::optional<double> rtt_ms;
};

struct CheckReport {
  std::chrono::system_clock::time_point checked_at;
  Observer observer;
  std::vector<Diagnosis> platforms;
  std::vector<DomainEvent> domains;
  std::vector<VantageStatus> vantage_points;
  std::vector<std::string> notes;  // missing evidence and other caveats
};

// Exit code of `lifeline check` (docs/cli.md): 0 all up; 1 a platform problem (outage,
// regional_outage, degraded); 3 the problem is on this side (just_you, local_dns, local_network,
// no_network); 4 unknown. A platform problem outranks one on this side unless this observer's own
// connectivity is not ok, which makes every verdict about this side; both outrank unknown.
int ExitCode(const CheckReport& report);

}  // namespace lifeline::diagnose
