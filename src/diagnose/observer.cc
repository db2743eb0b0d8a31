// This observer's own connection: the device, its resolver against direct resolvers, and the
// independent control endpoints (DESIGN.md's reasoning order, first three steps).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "diagnose/diagnose.h"
#include "diagnose/evidence.h"

namespace lifeline::diagnose {
namespace {

using internal::Confidence;
using internal::CountFailed;
using internal::Describe;
using internal::Dominant;
using internal::Failure;
using internal::Mostly;
using internal::OfCount;

// A probe that this line could have spoiled: a timeout (the question or the answer was lost) or a
// slow answer. An answer such as SERVFAIL, a refusal or an HTTP status came back over the line:
// it says something about that host, nothing against the line.
bool Impaired(const core::ProbeResult& p) {
  return p.ok ? p.slow : p.detail == core::detail::kTimeout;
}

// The host a probe was about: NAME of "dns:NAME[@RESOLVER]", the host of a URL.
std::string HostOf(const core::ProbeResult& p) {
  std::string_view t = p.target;
  if (t.starts_with("dns:")) {
    t.remove_prefix(4);
    return std::string(t.substr(0, t.rfind('@')));
  }
  if (auto scheme = t.find("://"); scheme != std::string_view::npos) t.remove_prefix(scheme + 3);
  return std::string(t.substr(0, t.find_first_of(":/?#")));
}

// The probes to independent hosts of one round, by kind.
struct Line {
  std::size_t probes = 0;
  std::size_t impaired = 0;
  std::size_t succeeded = 0;
  std::size_t kinds = 0;           // kinds with probes: control sites, system, direct resolvers
  std::size_t kinds_impaired = 0;  // ... with at least one impaired probe
  std::vector<std::string> impaired_hosts;
  std::vector<std::string> lines;  // per kind, for the evidence
  std::vector<const core::ProbeResult*> failures;

  // Spread over every kind of probe and more than one host, while some still get through: the
  // line itself. One broken part shows otherwise: a dead resolver leaves the direct resolvers
  // clean, one site's trouble names one host, a cut line lets nothing through (its own verdict).
  bool Unreliable() const {
    return kinds >= 2 && kinds_impaired == kinds && impaired_hosts.size() >= 2 && succeeded > 0;
  }
};

Line AssessLine(const ObserverInput& in) {
  Line line;
  // `what`: the evidence line, "{}" standing for "N of M".
  auto add = [&line](const std::vector<core::ProbeResult>& probes, std::string_view what) {
    if (probes.empty()) return;
    ++line.kinds;
    std::size_t impaired = 0;
    for (const auto& p : probes) {
      ++line.probes;
      line.succeeded += p.ok ? 1 : 0;
      if (!p.ok) line.failures.push_back(&p);
      if (!Impaired(p)) continue;
      ++impaired;
      const std::string host = HostOf(p);
      if (std::find(line.impaired_hosts.begin(), line.impaired_hosts.end(), host) ==
          line.impaired_hosts.end()) {
        line.impaired_hosts.push_back(host);
      }
    }
    line.impaired += impaired;
    if (impaired == 0) return;
    ++line.kinds_impaired;
    line.lines.push_back(fmt::format(fmt::runtime(what), OfCount(impaired, probes.size())));
  };
  add(in.control, "{} control sites timed out or loaded slowly");
  add(in.system_dns, "this machine's resolver: {} control names timed out or answered slowly");
  add(in.direct_dns, "direct resolvers: {} queries timed out or were answered slowly");
  return line;
}

}  // namespace

Observer AssessObserver(const ObserverInput& in) {
  Observer o;
  const std::size_t control_total = in.control.size();
  const std::size_t control_failed = CountFailed(in.control);
  const std::size_t control_ok = control_total - control_failed;
  const bool control_failing = Mostly(control_failed, control_total);
  const bool control_loads = control_total > 0 && !control_failing;
  const Failure control_failure = Dominant(in.control);
  const auto resolvers = internal::CompareResolvers(in.system_dns, in.direct_dns);
  const std::size_t resolver_total = resolvers.answering.size() + resolvers.failing.size();
  // The system resolver is the culprit when it fails for most control names while at least one
  // resolver queried directly, over the same network, answers for most of them.
  const bool resolver_broken = resolvers.system_failing && !resolvers.answering.empty();

  auto control_line = [&] {
    std::string line = fmt::format("{} control sites load", OfCount(control_ok, control_total));
    if (control_failed > 0) line += fmt::format(" ({})", Describe(control_failure));
    return line;
  };
  auto resolver_line = [&] {
    return fmt::format(
        "this machine's resolver fails ({}) for {} control names; {} direct "
        "resolvers answer",
        internal::DnsWord(resolvers.system_failure),
        OfCount(resolvers.system_failed, resolvers.system_total),
        OfCount(resolvers.answering.size(), resolver_total));
  };

  // 1. This device: without an interface or a default route nothing beyond the link works —
  // unless the control endpoints load anyway (a config pointing at a directly connected network).
  if (!in.has_interface || !in.has_default_route) {
    const std::string why =
        !in.has_interface ? "no usable network interface (only loopback)" : "no default route";
    if (control_loads) {
      o.evidence.push_back(
          fmt::format("{}, yet {} control sites load: a directly connected "
                      "network",
                      why, OfCount(control_ok, control_total)));
      o.confidence = Confidence(static_cast<int>(control_ok), static_cast<int>(control_failed));
      return o;
    }
    o.connectivity = core::Connectivity::kNoNetwork;
    o.evidence.push_back(why);
    if (control_total > 0) o.evidence.push_back(control_line());
    o.layer = control_failure.layer;
    o.detail = control_failure.detail;
    // The operating system said so: direct evidence, not inferred from other hosts.
    o.confidence = 0.95;
    return o;
  }

  // An unreliable line before the resolver and the control endpoints: with losses everywhere,
  // which of them happened to fail this round says nothing about them, and judging platforms on
  // what got through would blame them for this line.
  const Line line = AssessLine(in);
  o.line_probes = line.probes;
  o.line_impaired = line.impaired;
  if (line.Unreliable()) {
    o.connectivity = core::Connectivity::kLocalNetwork;
    o.unreliable = true;
    o.evidence.push_back(
        fmt::format("unreliable connection: {} probes to independent hosts failed or were slow",
                    OfCount(line.impaired, line.probes)));
    o.evidence.insert(o.evidence.end(), line.lines.begin(), line.lines.end());
    const Failure f = control_failure.any() ? control_failure : Dominant(line.failures);
    o.layer = f.layer;
    o.detail = f.detail;
    // Each kind of probe is a witness of its own: sites over TCP, resolvers over UDP.
    o.confidence = Confidence(static_cast<int>(line.kinds_impaired), 0);
    return o;
  }

  // 2 and 3. The resolver and the control endpoints.
  if (control_failing) {
    bool all_dns = true;
    for (const auto& p : in.control) {
      if (!p.ok && p.layer != core::Layer::kDns) all_dns = false;
    }
    if (all_dns && resolver_broken) {
      o.connectivity = core::Connectivity::kLocalDns;
      o.evidence.push_back(resolver_line());
      o.evidence.push_back(control_line());
      o.layer = core::Layer::kDns;
      o.detail =
          resolvers.system_failure.any() ? resolvers.system_failure.detail : control_failure.detail;
      o.confidence = Confidence(1 + static_cast<int>(resolvers.answering.size()),
                                static_cast<int>(resolvers.failing.size()));
      return o;
    }
    o.connectivity = core::Connectivity::kLocalNetwork;
    o.evidence.push_back(control_line());
    if (resolvers.system_failing && resolver_total > 0 && resolvers.answering.empty()) {
      o.evidence.push_back(fmt::format(
          "control names fail via this machine's resolver ({}) and via {} direct resolvers ({})",
          internal::DnsWord(resolvers.system_failure),
          OfCount(resolvers.failing.size(), resolver_total),
          internal::DnsWord(resolvers.direct_failure)));
    } else if (resolver_broken) {
      o.evidence.push_back(resolver_line());
    }
    o.layer = control_failure.layer;
    o.detail = control_failure.detail;
    o.confidence = Confidence(static_cast<int>(control_failed), static_cast<int>(control_ok));
    return o;
  }
  if (resolver_broken) {
    o.connectivity = core::Connectivity::kLocalDns;
    o.evidence.push_back(resolver_line());
    if (control_total > 0) o.evidence.push_back(control_line());
    o.layer = core::Layer::kDns;
    o.detail = resolvers.system_failure.detail;
    o.confidence = Confidence(1 + static_cast<int>(resolvers.answering.size()),
                              static_cast<int>(resolvers.failing.size()));
    return o;
  }

  if (control_total == 0) {
    o.evidence.push_back("no control endpoints configured: this connection could not be verified");
  } else {
    o.evidence.push_back(control_line());
  }
  if (resolvers.system_total > 0) {
    o.evidence.push_back(fmt::format(
        "this machine's resolver answers for {} control names",
        OfCount(resolvers.system_total - resolvers.system_failed, resolvers.system_total)));
  }
  if (!resolvers.failing.empty()) {
    o.evidence.push_back(fmt::format(
        "{} direct resolvers fail: {} ({})", OfCount(resolvers.failing.size(), resolver_total),
        internal::Join(resolvers.failing), Describe(resolvers.direct_failure)));
  }
  o.confidence = Confidence(static_cast<int>(control_ok), static_cast<int>(control_failed));
  return o;
}

}  // namespace lifeline::diagnose
