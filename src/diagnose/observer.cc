// This observer's own connection: the device, its resolver against direct resolvers, and the
// independent control endpoints (DESIGN.md's reasoning order, first three steps).
#include <string>
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
