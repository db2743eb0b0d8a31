// Small helpers shared by the diagnosis rules: the dominant failure of a set of probes, how a
// failure reads to a person, counting phrases and the confidence formula. Internal to diagnose.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/types.h"

namespace lifeline::diagnose::internal {

// A failure class: the layer, its core::detail value and, for HTTP status failures, the status.
struct Failure {
  core::Layer layer = core::Layer::kNone;
  std::string detail;
  int http_status = 0;

  bool any() const { return layer != core::Layer::kNone; }
};

// The dominant failure among the failing probes of `probes` (ok ones are skipped): the earliest
// layer (dns < tcp < tls < http < content) — an earlier failure hides what a later layer would
// have shown — then that layer's most common detail, then its most common HTTP status; ties go to
// the first seen. No failing probe: an empty Failure.
Failure Dominant(const std::vector<const core::ProbeResult*>& probes);
Failure Dominant(const std::vector<core::ProbeResult>& probes);

// What happened at DNS, without the layer: "SERVFAIL", "timeout", "empty answer"; a non-DNS
// failure reads as Describe().
std::string DnsWord(const Failure& f);

// "DNS SERVFAIL", "TCP timeout", "TLS certificate expired", "HTTP 503", "content: captive portal".
std::string Describe(const Failure& f);

// "3 of 5".
std::string OfCount(std::size_t n, std::size_t total);

// "1 endpoint", "2 endpoints".
std::string Plural(std::size_t n, std::string_view one, std::string_view many);

// Joins with ", ".
std::string Join(const std::vector<std::string>& items);

// True when a strict majority of `total` failed: one failing site of two could be that site's own
// problem, so it does not condemn the rest.
bool Mostly(std::size_t failed, std::size_t total);

std::size_t CountFailed(const std::vector<core::ProbeResult>& probes);

// The same names resolved through this machine's resolver and through resolvers queried directly.
struct ResolverComparison {
  std::size_t system_total = 0;
  std::size_t system_failed = 0;
  bool system_failing = false;  // Mostly(system_failed, system_total)
  Failure system_failure;
  std::vector<std::string> answering;  // direct resolvers resolving most of their names
  std::vector<std::string> failing;    // the other direct resolvers
  Failure direct_failure;              // dominant failure among the direct results
};
ResolverComparison CompareResolvers(const std::vector<core::ProbeResult>& system,
                                    const std::vector<core::ProbeResult>& direct);

// The confidence of a verdict backed by `agree` independent observers (this machine, each healthy
// vantage point, a status page, the direct resolvers) against `disagree` others:
//   (1 - 0.5^(agree + 1)) * agree / (agree + disagree), capped at 0.99; 0 when agree is 0.
// One observer gives 0.75, two 0.875, three 0.94, four 0.97; each dissenter scales it down.
double Confidence(int agree, int disagree);

// The median of `values`; the mean of the middle two for an even count. Requires values.
double Median(std::vector<double> values);

}  // namespace lifeline::diagnose::internal
