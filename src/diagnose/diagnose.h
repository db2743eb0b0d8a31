// Evidence -> verdict. Pure functions over what the probes, vantage points and status pages saw,
// following the reasoning order of DESIGN.md: this device, its resolver vs direct resolvers,
// independent control endpoints, the platform here, the platform from elsewhere and its status.
#pragma once

#include <chrono>
#include <cstddef>
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
  // The line's quality this round, whatever the verdict: the probes to independent hosts (the
  // control sites, the control names via this machine's resolver and via each direct resolver)
  // and how many of them timed out or answered slowly — what a lossy or congested line does.
  std::size_t line_probes = 0;
  std::size_t line_impaired = 0;
  // local_network because such losses were spread over every kind of those probes at once: an
  // unreliable line rather than one broken part (docs/verdicts.md, "This side").
  bool unreliable = false;
};

// Judges this observer's own connection (docs/verdicts.md, "This side"). The control endpoints
// count as failing when a strict majority of them fail; no control endpoints means "ok, but
// unverified" (confidence 0, said in the evidence). Timeouts and slow answers spread over the
// control sites, this machine's resolver and the direct resolvers alike make the line unreliable:
// local_network, whatever else it would have been (ok, local_dns).
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

// Vantage points weigh by region (docs/verdicts.md, step 3): a vantage point without a region is
// a region of its own, and only usable ones (reachable, healthy, with results) count — an
// unreachable agent is evidence about the agent, never about the platform. When it fails here:
// failures in whole regions while another region loads it are a regional outage; failures in
// every region, two at least, an outage; a region failing only partly, degraded.
struct Thresholds {
  // Share of the usable vantage points that must fail too for "everyone" where regions cannot
  // decide: when they all sit in one region (that share then decides outage against
  // regional_outage, with lower confidence), and when every region has failures but some region
  // only partly (at least this share: outage; fewer: degraded).
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

// The round-wide rule that runs after each platform's own Diagnose() and before CorrelateDomains:
// a platform whose own evidence is inconclusive — `unknown`, every main endpoint failing here —
// while platforms of its failure domain fail at the same layer and are judged `outage` from their
// own evidence in the same round, is judged with them (4 October 2021: a resolver timing out on
// one Meta name while it answers SERVFAIL for the others). It becomes `outage`, keeps its own
// layer and detail, gets 0.8 times the lowest confidence among those it is judged with, and an
// evidence line naming them. Only `unknown` is ever changed: a platform whose own probes succeed
// keeps its verdict whatever its siblings do, and one judged this way is never evidence for
// another.
void JudgeWithDomains(std::vector<Diagnosis>& diagnoses);

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
