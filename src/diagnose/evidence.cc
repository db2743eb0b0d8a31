// Dominant failure, failure wording, counting phrases and the confidence formula
// (docs/verdicts.md).
#include "diagnose/evidence.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <utility>

#include <fmt/core.h>

namespace lifeline::diagnose::internal {
namespace {

// Counts in first-seen order so that ties go to the first seen.
template <typename T>
T MostCommon(const std::vector<T>& items) {
  std::vector<std::pair<T, int>> counts;
  for (const auto& item : items) {
    auto it =
        std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == item; });
    if (it == counts.end()) {
      counts.emplace_back(item, 1);
    } else {
      ++it->second;
    }
  }
  if (counts.empty()) return T{};
  auto best = counts.begin();
  for (auto it = counts.begin(); it != counts.end(); ++it) {
    if (it->second > best->second) best = it;
  }
  return best->first;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Which resolver a direct DNS result came from: the answering resolver, else the "@resolver" part
// of its target ("dns:NAME@RESOLVER"), else the target itself.
std::string ResolverOf(const core::ProbeResult& r) {
  if (!r.resolver.empty() && r.resolver != "system") return r.resolver;
  if (auto at = r.target.rfind('@'); at != std::string::npos) return r.target.substr(at + 1);
  return r.target;
}

}  // namespace

Failure Dominant(const std::vector<const core::ProbeResult*>& probes) {
  Failure f;
  for (const auto* p : probes) {
    if (p->ok || p->layer == core::Layer::kNone) continue;
    if (!f.any() || p->layer < f.layer) f.layer = p->layer;
  }
  if (!f.any()) return f;
  std::vector<std::string> details;
  for (const auto* p : probes) {
    if (!p->ok && p->layer == f.layer) details.push_back(p->detail);
  }
  f.detail = MostCommon(details);
  std::vector<int> statuses;
  for (const auto* p : probes) {
    if (!p->ok && p->layer == f.layer && p->detail == f.detail && p->http_status != 0) {
      statuses.push_back(p->http_status);
    }
  }
  f.http_status = MostCommon(statuses);
  return f;
}

Failure Dominant(const std::vector<core::ProbeResult>& probes) {
  std::vector<const core::ProbeResult*> ptrs;
  ptrs.reserve(probes.size());
  for (const auto& p : probes) ptrs.push_back(&p);
  return Dominant(ptrs);
}

std::string Describe(const Failure& f) {
  namespace d = core::detail;
  const std::string_view detail = f.detail;
  switch (f.layer) {
    case core::Layer::kNone:
      return "no failure";
    case core::Layer::kDns:
      if (detail == d::kNoAnswer) return "DNS empty answer";
      if (detail == d::kTimeout) return "DNS timeout";
      if (detail == d::kNxdomain || detail == d::kServfail || detail == d::kRefused) {
        return "DNS " + Upper(detail);
      }
      break;
    case core::Layer::kTcp:
      if (detail == d::kRefused) return "TCP connection refused";
      break;
    case core::Layer::kTls:
      if (detail == d::kHandshake) return "TLS handshake failure";
      if (detail == d::kCertificate) return "TLS certificate untrusted";
      if (detail == d::kHostname) return "TLS certificate for another name";
      if (detail == d::kExpired) return "TLS certificate expired";
      break;
    case core::Layer::kHttp:
      if (detail == d::kStatus && f.http_status != 0) return fmt::format("HTTP {}", f.http_status);
      if (detail == d::kStatus) return "HTTP unexpected status";
      if (detail == d::kRedirects) return "HTTP too many redirects";
      if (detail == d::kTooLarge) return "HTTP body too large";
      if (detail == d::kProtocol) return "HTTP protocol error";
      break;
    case core::Layer::kContent:
      if (detail == d::kMissing) return "content: expected text missing";
      if (detail == d::kRegex) return "content: pattern not matched";
      if (detail == d::kJson) return "content: JSON check failed";
      if (detail == d::kCaptivePortal) return "content: captive portal";
      break;
  }
  std::string layer = Upper(core::LayerName(f.layer));
  if (f.layer == core::Layer::kContent) layer = "content:";
  return detail.empty() ? layer : fmt::format("{} {}", layer, detail);
}

std::string OfCount(std::size_t n, std::size_t total) { return fmt::format("{} of {}", n, total); }

std::string Plural(std::size_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool Mostly(std::size_t failed, std::size_t total) { return total > 0 && failed * 2 > total; }

std::size_t CountFailed(const std::vector<core::ProbeResult>& probes) {
  std::size_t n = 0;
  for (const auto& p : probes) n += p.ok ? 0 : 1;
  return n;
}

std::string DnsWord(const Failure& f) {
  const std::string d = Describe(f);
  if (f.layer != core::Layer::kDns) return d;
  return d.substr(4);  // "DNS SERVFAIL" -> "SERVFAIL"
}

ResolverComparison CompareResolvers(const std::vector<core::ProbeResult>& system,
                                    const std::vector<core::ProbeResult>& direct) {
  ResolverComparison c;
  c.system_total = system.size();
  c.system_failed = CountFailed(system);
  c.system_failing = Mostly(c.system_failed, c.system_total);
  c.system_failure = Dominant(system);
  // Group the direct results by resolver, in first-seen order.
  std::vector<std::pair<std::string, std::vector<const core::ProbeResult*>>> groups;
  for (const auto& r : direct) {
    const std::string key = ResolverOf(r);
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) {
      groups.push_back({key, {&r}});
    } else {
      it->second.push_back(&r);
    }
  }
  std::vector<const core::ProbeResult*> direct_failed;
  for (const auto& [name, results] : groups) {
    std::size_t failed = 0;
    for (const auto* r : results) {
      if (!r->ok) {
        ++failed;
        direct_failed.push_back(r);
      }
    }
    // A resolver answers when it resolves most of the names it was asked.
    if (Mostly(results.size() - failed, results.size())) {
      c.answering.push_back(name);
    } else {
      c.failing.push_back(name);
    }
  }
  c.direct_failure = Dominant(direct_failed);
  return c;
}

double Confidence(int agree, int disagree) {
  if (agree <= 0) return 0;
  disagree = std::max(disagree, 0);
  const double strength = 1 - std::pow(0.5, agree + 1);
  const double share = static_cast<double>(agree) / (agree + disagree);
  return std::min(0.99, strength * share);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace lifeline::diagnose::internal
