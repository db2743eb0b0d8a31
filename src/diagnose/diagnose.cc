// One platform's verdict from what was seen here, from the vantage points, through the resolvers
// and on its status page, in the reasoning order of DESIGN.md (docs/verdicts.md explains each
// step).
#include <string>
#include <vector>

#include <fmt/core.h>

#include "diagnose/diagnose.h"
#include "diagnose/evidence.h"

namespace lifeline::diagnose {
namespace {

using internal::Confidence;
using internal::Describe;
using internal::DnsWord;
using internal::Dominant;
using internal::Failure;
using internal::Join;
using internal::OfCount;

// How one observer saw the platform's main (non-API) endpoints.
enum class Seen { kNoData, kWorks, kPartial, kFails };

struct View {
  Seen main = Seen::kNoData;
  std::size_t main_total = 0;
  std::vector<const core::ProbeResult*> main_failures;
  Failure failure;  // dominant among main_failures
  std::size_t api_total = 0;
  std::vector<const core::ProbeResult*> api_failures;
  Failure api_failure;
  bool slow = false;
  std::vector<double> ok_totals;  // total time of each successful probe

  bool api_fails() const { return !api_failures.empty(); }
};

// DNS lookups are not endpoints: a vantage point's results also carry the platform's DNS names,
// and a name that resolves says nothing about whether the platform answers.
View Look(const std::vector<core::ProbeResult>& results) {
  View v;
  bool has_main = false;
  for (const auto& r : results) has_main = has_main || (!r.api && r.kind != core::ProbeKind::kDns);
  for (const auto& r : results) {
    if (r.kind == core::ProbeKind::kDns) continue;
    // With only API probes configured, they are the platform's main endpoints.
    const bool api = r.api && has_main;
    if (api) {
      ++v.api_total;
      if (!r.ok) v.api_failures.push_back(&r);
    } else {
      ++v.main_total;
      if (!r.ok) v.main_failures.push_back(&r);
    }
    if (r.ok && r.slow) v.slow = true;
    if (r.ok && r.timings.total) v.ok_totals.push_back(*r.timings.total);
  }
  if (v.main_total == 0) {
    v.main = Seen::kNoData;
  } else if (v.main_failures.empty()) {
    v.main = Seen::kWorks;
  } else if (v.main_failures.size() == v.main_total) {
    v.main = Seen::kFails;
  } else {
    v.main = Seen::kPartial;
  }
  v.failure = Dominant(v.main_failures);
  v.api_failure = Dominant(v.api_failures);
  return v;
}

std::string Label(const VantageInput& v) {
  if (v.region.empty() || v.region == v.name) return v.name;
  return fmt::format("{} ({})", v.name, v.region);
}

struct Vantage {
  const VantageInput* in;
  View view;
};

// The usable vantage points of one region. A vantage point without a region is a region of its
// own: nothing says it shares a network with any other.
struct Region {
  std::string label;  // the region's name, or the vantage point's name when it has none
  bool named = true;  // false: a vantage point without a region
  std::size_t total = 0;
  std::size_t fails = 0;  // its main endpoints all fail from there

  bool failing() const { return fails == total; }  // every usable vantage point of it fails
  bool healthy() const { return fails == 0; }      // none does: it loads, at least partly
  bool split() const { return !failing() && !healthy(); }
};

// The regions of `usable`, in first-seen order.
std::vector<Region> GroupRegions(const std::vector<Vantage>& usable) {
  std::vector<Region> regions;
  std::vector<std::string> keys;
  for (const auto& v : usable) {
    const bool named = !v.in->region.empty();
    // Distinct key spaces: a vantage point named like a region is not in that region.
    const std::string key = named ? "r:" + v.in->region : "v:" + v.in->name;
    std::size_t i = 0;
    while (i < keys.size() && keys[i] != key) ++i;
    if (i == keys.size()) {
      keys.push_back(key);
      regions.push_back({named ? v.in->region : v.in->name, named});
    }
    ++regions[i].total;
    regions[i].fails += v.view.main == Seen::kFails ? 1 : 0;
  }
  return regions;
}

// With usable vantage points in one region only, an outage cannot be told from a regional one:
// verdicts built on them keep their rule and lose this share of their confidence.
constexpr double kOneRegionFactor = 0.8;

std::string OneRegionLine(const Region& r) {
  return fmt::format(
      "usable vantage points in one region only ({}{}): whether it fails beyond that region is "
      "not known, so the confidence is lower",
      r.label, r.named ? "" : ", which names no region");
}

enum class StatusLevel { kAbsent, kNone, kMinor, kSevere, kMaintenance, kOther };

// Everything gathered about one platform before any rule runs.
struct Context {
  const Observer& observer;
  const PlatformInput& in;
  const Thresholds& thresholds;
  View here;
  std::vector<Vantage> usable;       // reachable, healthy, with results for this platform
  std::vector<Region> regions;       // of the usable vantage points
  std::vector<std::string> missing;  // why the other vantage points are not evidence
  std::size_t configured_vantage = 0;
  internal::ResolverComparison dns;
  bool dns_local_override = false;    // fails via this machine's resolver, resolves directly
  bool dns_fails_everywhere = false;  // SERVFAIL/NXDOMAIN via every resolver
  StatusLevel status = StatusLevel::kAbsent;
  std::string status_line;

  bool severe() const { return status == StatusLevel::kSevere; }
  bool status_reports_trouble() const {
    return status == StatusLevel::kMinor || status == StatusLevel::kSevere;
  }
  // Nothing this round says this line is at fault: no probe to an independent host timed out or
  // was slow. Without a vantage point to compare with, only then can slowness or timeouts here be
  // put down to the platform.
  bool line_clean() const { return observer.line_impaired == 0; }
  bool one_region() const { return regions.size() == 1; }
  std::size_t Regions(bool (Region::*state)() const) const {
    std::size_t n = 0;
    for (const auto& r : regions) n += (r.*state)() ? 1 : 0;
    return n;
  }
  // "eu-west, us-east": the regions in `state`.
  std::string RegionNames(bool (Region::*state)() const) const {
    std::vector<std::string> names;
    for (const auto& r : regions) {
      if ((r.*state)()) names.push_back(r.label);
    }
    return Join(names);
  }
  std::size_t Count(Seen s) const {
    std::size_t n = 0;
    for (const auto& v : usable) n += v.view.main == s ? 1 : 0;
    return n;
  }
  std::vector<std::string> Names(Seen s) const {
    std::vector<std::string> names;
    for (const auto& v : usable) {
      if (v.view.main == s) names.push_back(Label(*v.in));
    }
    return names;
  }
  // The dominant main failure among the vantage points that fail entirely.
  Failure VantageFailure() const {
    std::vector<const core::ProbeResult*> all;
    for (const auto& v : usable) {
      if (v.view.main == Seen::kFails) {
        all.insert(all.end(), v.view.main_failures.begin(), v.view.main_failures.end());
      }
    }
    return Dominant(all);
  }
};

bool IsDnsOutageDetail(const Failure& f) {
  return f.layer == core::Layer::kDns &&
         (f.detail == core::detail::kServfail || f.detail == core::detail::kNxdomain);
}

// A failure this line could have caused (the question or the answer lost on the way), unlike an
// answer the platform gave (an HTTP status, a certificate, SERVFAIL, a refusal).
bool CouldBeTheLine(const Failure& f) { return f.detail == core::detail::kTimeout; }

Context Gather(const Observer& observer, const PlatformInput& in, const Thresholds& thresholds) {
  Context c{observer, in, thresholds};
  c.here = Look(in.here);
  c.configured_vantage = in.vantage.size();
  for (const auto& v : in.vantage) {
    if (!v.reachable) {
      c.missing.push_back(fmt::format("vantage point {} unreachable: {} — its evidence is missing",
                                      Label(v), v.error.empty() ? "no answer" : v.error));
    } else if (v.connectivity != core::Connectivity::kOk) {
      c.missing.push_back(
          fmt::format("vantage point {}'s own connection is {} — its evidence is ignored", Label(v),
                      core::ConnectivityName(v.connectivity)));
    } else {
      View view = Look(v.results);
      if (view.main == Seen::kNoData) {
        c.missing.push_back(fmt::format(
            "vantage point {} returned no results for this platform — its evidence is missing",
            Label(v)));
      } else {
        c.usable.push_back({&v, std::move(view)});
      }
    }
  }

  c.regions = GroupRegions(c.usable);

  c.dns = internal::CompareResolvers(in.dns_here, in.dns_direct);
  const std::size_t resolvers = c.dns.answering.size() + c.dns.failing.size();
  // A local override: this machine's resolver fails for the platform's names while most direct
  // resolvers resolve them (the observer being ok, the control names resolve here).
  c.dns_local_override = c.dns.system_failing && c.dns.answering.size() > c.dns.failing.size();
  // The platform's own DNS is broken when every resolver, local and direct, gets SERVFAIL or
  // NXDOMAIN for it: timeouts could be our path, those answers come from the DNS tree.
  c.dns_fails_everywhere = c.dns.system_failing && resolvers > 0 && c.dns.answering.empty() &&
                           IsDnsOutageDetail(c.dns.system_failure) &&
                           IsDnsOutageDetail(c.dns.direct_failure);

  if (in.status) {
    const StatusInput& s = *in.status;
    if (!s.fetched) {
      c.missing.push_back(
          fmt::format("official status page not fetched: {} — its evidence is "
                      "missing",
                      s.error.empty() ? "no answer" : s.error));
    } else {
      if (s.indicator == "none") {
        c.status = StatusLevel::kNone;
      } else if (s.indicator == "minor") {
        c.status = StatusLevel::kMinor;
      } else if (s.indicator == "major" || s.indicator == "critical") {
        c.status = StatusLevel::kSevere;
      } else if (s.indicator == "maintenance") {
        c.status = StatusLevel::kMaintenance;
      } else {
        c.status = StatusLevel::kOther;
      }
      c.status_line = fmt::format("official status: {}", s.indicator.empty() ? "?" : s.indicator);
      if (!s.description.empty()) c.status_line += fmt::format(" ({})", s.description);
      if (!s.degraded_components.empty()) {
        std::vector<std::string> parts;
        for (const auto& [name, status] : s.degraded_components) {
          parts.push_back(fmt::format("{} ({})", name, status));
        }
        c.status_line += "; components: " + Join(parts);
      }
    }
  }
  return c;
}

// "its endpoint fails here (TCP timeout)", "2 of 3 endpoints fail here (HTTP 503)".
std::string HereLine(const View& v, std::optional<double> latency) {
  const std::size_t failed = v.main_failures.size();
  if (v.main == Seen::kWorks) {
    std::string line = v.main_total == 1 ? std::string("its endpoint loads here")
                                         : fmt::format("{} endpoints load here",
                                                       OfCount(v.main_total, v.main_total));
    if (latency) line += fmt::format(" (median {:.0f} ms)", *latency);
    if (v.slow) line += ", slowly";
    return line;
  }
  std::string line = v.main_total == 1
                         ? std::string("its endpoint fails here")
                         : fmt::format("{} endpoints fail here", OfCount(failed, v.main_total));
  line += fmt::format(" ({})", Describe(v.failure));
  if (v.main == Seen::kPartial) {
    std::vector<std::string> targets;
    for (const auto* p : v.main_failures) targets.push_back(p->target);
    line += ": " + Join(targets);
  }
  return line;
}

std::string ApiTargets(const View& v) {
  std::vector<std::string> targets;
  for (const auto* p : v.api_failures) targets.push_back(p->target);
  return Join(targets);
}

// Lines on what the healthy vantage points saw of the main endpoints.
std::vector<std::string> VantageLines(const Context& c) {
  std::vector<std::string> lines;
  const std::size_t n = c.usable.size();
  if (n == 0) return lines;
  const std::size_t fails = c.Count(Seen::kFails);
  const std::size_t works = c.Count(Seen::kWorks);
  const std::size_t partial = c.Count(Seen::kPartial);
  if (fails > 0) {
    std::string line = fmt::format("{} vantage points fail with {}", OfCount(fails, n),
                                   Describe(c.VantageFailure()));
    if (fails < n) line += ": " + Join(c.Names(Seen::kFails));
    lines.push_back(line);
  }
  if (works > 0) {
    std::string line = fmt::format("{} vantage points load it", OfCount(works, n));
    if (works < n) line += ": " + Join(c.Names(Seen::kWorks));
    lines.push_back(line);
  }
  if (partial > 0) {
    lines.push_back(fmt::format("{} vantage points load it only partly: {}", OfCount(partial, n),
                                Join(c.Names(Seen::kPartial))));
  }
  // By region, once a region holds several of them and one fails: what the regional rules read.
  bool grouped = false;
  for (const auto& r : c.regions) grouped = grouped || r.total > 1;
  if (grouped && fails > 0) {
    std::vector<std::string> parts;
    for (const auto& r : c.regions) {
      parts.push_back(fmt::format("{} {} fail", r.label, OfCount(r.fails, r.total)));
    }
    lines.push_back("vantage points by region: " + Join(parts));
  }
  return lines;
}

// Evidence every verdict carries after its own lines: the resolvers, the status page and the
// evidence that is missing.
void AppendCommon(const Context& c, Diagnosis& d) {
  const std::size_t resolvers = c.dns.answering.size() + c.dns.failing.size();
  if (c.dns_local_override) {
    d.evidence.push_back(fmt::format(
        "this machine's resolver fails for {} of its names ({}) while {} direct resolvers "
        "resolve them: a local DNS override or block",
        OfCount(c.dns.system_failed, c.dns.system_total), DnsWord(c.dns.system_failure),
        OfCount(c.dns.answering.size(), resolvers)));
  } else if (c.dns_fails_everywhere) {
    d.evidence.push_back(fmt::format(
        "its names fail via this machine's resolver ({}) and via {} direct resolvers ({}), while "
        "the control names resolve",
        DnsWord(c.dns.system_failure), OfCount(c.dns.failing.size(), resolvers),
        DnsWord(c.dns.direct_failure)));
  }
  if (!c.status_line.empty()) d.evidence.push_back(c.status_line);
  d.evidence.insert(d.evidence.end(), c.missing.begin(), c.missing.end());
}

void SetFailure(Diagnosis& d, const Failure& f) {
  d.layer = f.layer;
  d.detail = f.detail;
}

// What was seen here stays unjudged: nothing from elsewhere could confirm it. Says why, and when
// this line was not clean either, says that too: it may be the whole story.
void Unconfirmed(const Context& c, Diagnosis& d) {
  d.verdict = core::Verdict::kUnknown;
  d.evidence.push_back(fmt::format("no vantage point could confirm: {}",
                                   c.configured_vantage == 0
                                       ? "no vantage points configured"
                                       : "none of the vantage points gave usable evidence"));
  if (!c.line_clean()) {
    d.evidence.push_back(fmt::format(
        "this connection was not clean this round: {} probes to independent hosts timed out or "
        "were slow",
        OfCount(c.observer.line_impaired, c.observer.line_probes)));
  }
  d.confidence = 0;
}

// Step 0: this side is broken, so the platform cannot be judged from here. The verdict names this
// side; whatever the vantage points saw is reported, never turned into a platform verdict.
void Mirror(const Context& c, Diagnosis& d) {
  std::vector<const core::ProbeResult*> failures = c.here.main_failures;
  failures.insert(failures.end(), c.here.api_failures.begin(), c.here.api_failures.end());
  for (const auto& r : c.in.dns_here) {
    if (!r.ok) failures.push_back(&r);
  }
  Failure f = Dominant(failures);
  std::string what;
  switch (c.observer.connectivity) {
    case core::Connectivity::kNoNetwork:
      d.verdict = core::Verdict::kNoNetwork;
      what = "this machine has no network connection";
      break;
    case core::Connectivity::kLocalDns:
      d.verdict = core::Verdict::kLocalDns;
      what = "this machine's resolver is failing";
      if (f.layer != core::Layer::kDns) f = {core::Layer::kDns, c.observer.detail, 0};
      break;
    case core::Connectivity::kLocalNetwork:
    case core::Connectivity::kOk:
      d.verdict = core::Verdict::kLocalNetwork;
      what = c.observer.unreliable ? "this machine's connection is unreliable"
                                   : "this machine cannot reach the control sites";
      break;
  }
  if (!f.any()) f = {c.observer.layer, c.observer.detail, 0};
  SetFailure(d, f);
  d.reason = what + ": the platform cannot be judged from here";
  const std::size_t n = c.usable.size();
  if (n > 0) {
    const std::size_t fails = c.Count(Seen::kFails);
    d.reason += fails > 0 ? fmt::format(" ({} vantage points see it fail)", OfCount(fails, n))
                          : fmt::format(" ({} vantage points load it)", OfCount(n - fails, n));
  }
  d.evidence.push_back(
      fmt::format("this side is {}: {}", core::ConnectivityName(c.observer.connectivity),
                  c.observer.evidence.empty() ? "no detail" : c.observer.evidence.front()));
  if (c.here.main != Seen::kNoData) d.evidence.push_back(HereLine(c.here, d.latency_ms));
  for (auto& line : VantageLines(c)) d.evidence.push_back("from elsewhere: " + line);
  AppendCommon(c, d);
  // Confidence in this side being the problem; the platform's own state stays unjudged.
  d.confidence = c.observer.confidence;
}

// It fails here entirely: ask the vantage points, then the independent evidence.
void HereFails(const Context& c, Diagnosis& d) {
  const Failure here = c.here.failure;
  SetFailure(d, here);
  d.evidence.push_back(HereLine(c.here, d.latency_ms));
  for (auto& line : VantageLines(c)) d.evidence.push_back(line);
  const int severe = c.severe() ? 1 : 0;
  const std::size_t n = c.usable.size();
  if (n > 0) {
    const std::size_t fails = c.Count(Seen::kFails);
    const std::size_t reach = n - fails;  // they load it, at least partly
    const double fraction = static_cast<double>(fails) / static_cast<double>(n);
    const auto loads_from = [&] {
      auto names = c.Names(Seen::kWorks);
      auto partly = c.Names(Seen::kPartial);
      names.insert(names.end(), partly.begin(), partly.end());
      return Join(names);
    };
    const auto outage = [&] {
      d.verdict = core::Verdict::kOutage;
      d.reason =
          fmt::format("{} here and from {} vantage points", Describe(here), OfCount(fails, n));
      d.confidence = Confidence(1 + static_cast<int>(fails) + severe, static_cast<int>(reach));
    };
    const auto regional = [&] {
      d.verdict = core::Verdict::kRegionalOutage;
      d.reason = fmt::format("fails here and from {} ({}); loads from {}",
                             Join(c.Names(Seen::kFails)), Describe(here), loads_from());
      // The failing observers agree there is a failure; the loading ones make it regional.
      d.confidence = Confidence(1 + static_cast<int>(fails), 0);
    };
    if (fails == 0) {
      d.verdict = core::Verdict::kJustYou;
      if (c.dns_local_override) SetFailure(d, {core::Layer::kDns, c.dns.system_failure.detail, 0});
      d.reason = fmt::format("fails only from here ({}); {} vantage points load it",
                             Describe({d.layer, d.detail, here.http_status}), OfCount(reach, n));
      d.confidence = Confidence(1 + static_cast<int>(reach) + (c.dns_local_override ? 1 : 0), 0);
    } else if (c.one_region()) {
      // One region cannot tell everyone from that region: the share decides, as without regions,
      // with less confidence.
      if (fraction >= c.thresholds.everyone_fraction) {
        outage();
      } else {
        regional();
      }
      d.confidence *= kOneRegionFactor;
      d.evidence.push_back(OneRegionLine(c.regions.front()));
    } else if (c.Regions(&Region::healthy) == 0 &&
               (c.Regions(&Region::split) == 0 || fraction >= c.thresholds.everyone_fraction)) {
      // Failures in every region, two at least: everyone.
      outage();
    } else if (c.Regions(&Region::split) == 0) {
      // The failing vantage points make up whole regions, and another region loads it.
      regional();
    } else {
      // Some region fails only partly: no whole region is down, nor everyone.
      d.verdict = core::Verdict::kDegraded;
      d.reason = fmt::format("fails here and from {} ({}), but not from all of {}; loads from {}",
                             Join(c.Names(Seen::kFails)), Describe(here),
                             c.RegionNames(&Region::split), loads_from());
      d.confidence = Confidence(1 + static_cast<int>(fails) + severe, static_cast<int>(reach));
    }
    AppendCommon(c, d);
    return;
  }

  // No usable vantage point: only independent evidence can speak for everyone.
  const std::size_t resolvers = c.dns.answering.size() + c.dns.failing.size();
  if (c.dns_local_override) {
    d.verdict = core::Verdict::kJustYou;
    SetFailure(d, {core::Layer::kDns, c.dns.system_failure.detail, 0});
    d.reason = fmt::format(
        "fails only from here ({} via this machine's resolver); {} direct "
        "resolvers resolve it",
        Describe(c.dns.system_failure), OfCount(c.dns.answering.size(), resolvers));
    d.confidence = Confidence(1 + static_cast<int>(c.dns.answering.size()),
                              static_cast<int>(c.dns.failing.size()));
  } else if (c.severe() || c.dns_fails_everywhere) {
    d.verdict = core::Verdict::kOutage;
    if (c.dns_fails_everywhere) {
      SetFailure(d, {core::Layer::kDns, c.dns.system_failure.detail, 0});
      d.reason = fmt::format("{} here and via {} direct resolvers", Describe(c.dns.system_failure),
                             OfCount(resolvers, resolvers));
    } else {
      d.reason = fmt::format("{} here", Describe(here));
    }
    if (c.severe()) d.reason += fmt::format("; official status: {}", c.in.status->indicator);
    d.confidence = Confidence(1 + severe + (c.dns_fails_everywhere ? 1 : 0), 0);
  } else {
    d.reason = fmt::format("fails here ({}); no vantage point could confirm", Describe(here));
    Unconfirmed(c, d);
  }
  AppendCommon(c, d);
}

// Some main endpoints fail here, others load. Partly failing for everyone (degraded) needs it seen
// from elsewhere too, or the status page, or — with no vantage point to ask — a failure this line
// cannot have caused or a line that was clean this round. Vantage points that all load it fully
// make it this machine's problem: just_you.
void HerePartial(const Context& c, Diagnosis& d) {
  SetFailure(d, c.here.failure);
  d.evidence.push_back(HereLine(c.here, d.latency_ms));
  for (auto& line : VantageLines(c)) d.evidence.push_back(line);
  const std::string failing =
      fmt::format("{} endpoints fail", OfCount(c.here.main_failures.size(), c.here.main_total));
  const std::size_t n = c.usable.size();
  const std::size_t works = c.Count(Seen::kWorks);
  const bool elsewhere = n > works;  // a vantage point loads it partly, or not at all
  if (elsewhere || c.status_reports_trouble() ||
      (n == 0 && (c.line_clean() || !CouldBeTheLine(c.here.failure)))) {
    d.verdict = core::Verdict::kDegraded;
    d.reason = fmt::format("{} here ({})", failing, Describe(c.here.failure));
    d.confidence =
        Confidence(1 + static_cast<int>(n - works) + (c.severe() ? 1 : 0), static_cast<int>(works));
  } else if (n > 0) {
    d.verdict = core::Verdict::kJustYou;
    d.reason = fmt::format("{} only from here ({}); {} vantage points load it fully", failing,
                           Describe(c.here.failure), OfCount(works, n));
    d.confidence = Confidence(1 + static_cast<int>(works), 0);
  } else {
    d.reason = fmt::format("{} here ({}); no vantage point could confirm", failing,
                           Describe(c.here.failure));
    Unconfirmed(c, d);
  }
  AppendCommon(c, d);
}

// The main endpoints load here, but an authenticated API probe fails (5 March 2024 at Meta: the
// landing page answered 200 while login and the API failed).
void ApiFails(const Context& c, Diagnosis& d) {
  const Failure f = c.here.api_failure;
  SetFailure(d, f);
  d.evidence.push_back(HereLine(c.here, d.latency_ms));
  d.evidence.push_back(
      fmt::format("API probe fails here: {} ({})", ApiTargets(c.here), Describe(f)));
  std::size_t with_api = 0, api_fails = 0;
  std::vector<Vantage> ran_api;
  for (const auto& v : c.usable) {
    if (v.view.api_total == 0) continue;
    ++with_api;
    api_fails += v.view.api_fails() ? 1 : 0;
    ran_api.push_back(v);
  }
  const std::vector<Region> api_regions = GroupRegions(ran_api);
  const std::size_t api_works = with_api - api_fails;
  for (auto& line : VantageLines(c)) d.evidence.push_back(line);
  if (with_api > 0) {
    d.evidence.push_back(
        fmt::format("{} vantage points see the API fail", OfCount(api_fails, with_api)));
  }
  if (with_api > 0 && api_fails == with_api) {
    d.verdict = core::Verdict::kOutage;
    d.reason = fmt::format("API fails here and from {} vantage points ({}); the site loads",
                           OfCount(api_fails, with_api), Describe(f));
    d.confidence = Confidence(1 + static_cast<int>(api_fails) + (c.severe() ? 1 : 0), 0);
    if (api_regions.size() == 1) {
      d.confidence *= kOneRegionFactor;
      d.evidence.push_back(OneRegionLine(api_regions.front()));
    }
    if (f.http_status == 401 || f.http_status == 403) {
      d.evidence.push_back(fmt::format(
          "HTTP {} from every observer: also check the API probe's credentials", f.http_status));
    }
  } else if (with_api > 0 && api_fails == 0) {
    // Works from everywhere else with the same request: what differs is this machine (its
    // address rate-limited or blocked, a proxy in the way).
    d.verdict = core::Verdict::kJustYou;
    d.reason = fmt::format("API fails only from here ({}); {} vantage points reach it", Describe(f),
                           OfCount(api_works, with_api));
    d.confidence = Confidence(1 + static_cast<int>(api_works), 0);
  } else if (with_api > 0) {
    d.verdict = core::Verdict::kDegraded;
    d.reason = fmt::format("API fails here and from {} vantage points ({}); the site loads",
                           OfCount(api_fails, with_api), Describe(f));
    d.confidence = Confidence(1 + static_cast<int>(api_fails), static_cast<int>(api_works));
  } else if (c.severe()) {
    d.verdict = core::Verdict::kOutage;
    d.reason = fmt::format("API fails here ({}); official status: {}", Describe(f),
                           c.in.status->indicator);
    d.confidence = Confidence(2, 0);
  } else if (c.line_clean() || !CouldBeTheLine(f)) {
    d.verdict = core::Verdict::kDegraded;
    d.reason = fmt::format("API fails here ({}); the site loads", Describe(f));
    d.evidence.push_back("no vantage point could confirm the API failure");
    d.confidence = Confidence(1, 0);
  } else {
    // A timeout on a line that lost other probes too: nothing says the API is at fault.
    d.reason = fmt::format("API fails here ({}); no vantage point could confirm", Describe(f));
    Unconfirmed(c, d);
  }
  AppendCommon(c, d);
}

// Everything main loads here.
void HereWorks(const Context& c, Diagnosis& d) {
  if (c.here.api_fails()) return ApiFails(c, d);
  d.evidence.push_back(HereLine(c.here, d.latency_ms));
  for (auto& line : VantageLines(c)) d.evidence.push_back(line);
  const std::size_t n = c.usable.size();
  const std::size_t fails = c.Count(Seen::kFails);
  const std::size_t works = c.Count(Seen::kWorks);
  const std::size_t partial = c.Count(Seen::kPartial);
  if (fails > 0) {
    SetFailure(d, c.VantageFailure());
    if (!c.one_region() && c.Regions(&Region::split) > 0) {
      // Some region fails only partly: its other vantage points load it, as it loads here. No
      // whole region is down; the platform fails for some.
      d.verdict = core::Verdict::kDegraded;
      d.reason = fmt::format("fails from {} ({}), but not from all of {}; loads here",
                             Join(c.Names(Seen::kFails)), Describe(c.VantageFailure()),
                             c.RegionNames(&Region::split));
      d.confidence = 0.8 * Confidence(static_cast<int>(fails) + (c.severe() ? 1 : 0),
                                      static_cast<int>(n - fails));
      AppendCommon(c, d);
      return;
    }
    // Works here, fails from whole regions elsewhere: regional, with less confidence because
    // this observer has not seen the failure itself.
    d.verdict = core::Verdict::kRegionalOutage;
    d.reason = fmt::format("fails from {} ({}); loads here", Join(c.Names(Seen::kFails)),
                           Describe(c.VantageFailure()));
    if (works > 0) d.reason += " and from " + Join(c.Names(Seen::kWorks));
    d.confidence = 0.8 * Confidence(static_cast<int>(fails) + (c.severe() ? 1 : 0), 0);
    if (c.one_region()) {
      d.confidence *= kOneRegionFactor;
      d.evidence.push_back(OneRegionLine(c.regions.front()));
    }
    AppendCommon(c, d);
    return;
  }
  // Slow for everyone (degraded) needs it seen from elsewhere too — a vantage point where it is
  // slow or loads only partly — or the status page, or, with no vantage point to ask, a line that
  // was clean this round. Vantage points that all load it normally make it slow for you.
  std::vector<std::string> why;
  int agree = 0;
  enum class Slow { kNo, kConfirmed, kOnlyHere, kUnconfirmed } slow = Slow::kNo;
  const std::string slow_here = d.latency_ms
                                    ? fmt::format("slow here (median {:.0f} ms)", *d.latency_ms)
                                    : std::string("slow here");
  if (c.here.slow) {
    std::size_t slow_elsewhere = 0, troubled = 0;
    for (const auto& v : c.usable) {
      slow_elsewhere += v.view.slow ? 1 : 0;
      troubled += v.view.slow || v.view.main == Seen::kPartial ? 1 : 0;
    }
    if (slow_elsewhere > 0) {
      d.evidence.push_back(
          fmt::format("{} vantage points see it slow too", OfCount(slow_elsewhere, n)));
    }
    if (troubled > 0 || (n == 0 && c.line_clean())) {
      slow = Slow::kConfirmed;
      why.push_back(slow_here);
      agree += 1 + static_cast<int>(troubled);
    } else {
      slow = n > 0 ? Slow::kOnlyHere : Slow::kUnconfirmed;
    }
  }
  if (c.status_reports_trouble()) {
    why.push_back(fmt::format("official status: {}", c.in.status->indicator));
    agree += 1;
  }
  if (!why.empty()) {
    d.verdict = core::Verdict::kDegraded;
    d.reason = Join(why) + "; loads here";
    d.confidence = Confidence(agree, 0);
    AppendCommon(c, d);
    return;
  }
  if (slow == Slow::kOnlyHere) {
    d.verdict = core::Verdict::kJustYou;
    d.reason =
        fmt::format("{}; {} vantage points load it without delay", slow_here, OfCount(works, n));
    d.confidence = Confidence(1 + static_cast<int>(works), 0);
    AppendCommon(c, d);
    return;
  }
  if (slow == Slow::kUnconfirmed) {
    d.reason = slow_here + "; no vantage point could confirm";
    Unconfirmed(c, d);
    AppendCommon(c, d);
    return;
  }
  d.verdict = core::Verdict::kUp;
  d.reason = n > 0 ? fmt::format("loads here and from {} vantage points", OfCount(works, n))
                   : std::string("loads here");
  d.confidence = Confidence(1 + static_cast<int>(works) + (c.status == StatusLevel::kNone ? 1 : 0),
                            static_cast<int>(partial));
  AppendCommon(c, d);
}

}  // namespace

Diagnosis Diagnose(const Observer& observer, const PlatformInput& in,
                   const Thresholds& thresholds) {
  Diagnosis d;
  d.platform = in.platform.id;
  d.name = in.platform.name;
  d.domain = in.platform.domain;
  d.status = in.status;
  for (const auto* list : {&in.here, &in.dns_here, &in.dns_direct}) {
    d.probes.insert(d.probes.end(), list->begin(), list->end());
  }
  for (const auto& v : in.vantage)
    d.probes.insert(d.probes.end(), v.results.begin(), v.results.end());

  const Context c = Gather(observer, in, thresholds);
  if (!c.here.ok_totals.empty()) d.latency_ms = internal::Median(c.here.ok_totals);

  if (observer.connectivity != core::Connectivity::kOk) {
    Mirror(c, d);
  } else if (c.here.main == Seen::kNoData) {
    d.verdict = core::Verdict::kUnknown;
    d.reason = "nothing was probed here";
    d.evidence.push_back("the platform has no probes to run here");
    for (auto& line : VantageLines(c)) d.evidence.push_back(line);
    AppendCommon(c, d);
  } else if (c.here.main == Seen::kFails) {
    HereFails(c, d);
  } else if (c.here.main == Seen::kPartial) {
    HerePartial(c, d);
  } else {
    HereWorks(c, d);
  }
  return d;
}

}  // namespace lifeline::diagnose
