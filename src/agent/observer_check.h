// This observer's own connection check (the first steps of the reasoning order): the device's
// interfaces and route, the control names via this machine's resolver and via direct resolvers,
// and the control endpoints over HTTP. Used by `lifeline check` here and by every agent.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/types.h"
#include "diagnose/diagnose.h"
#include "probe/probe.h"

namespace lifeline::agent {

// The probes of one observer check, in one list so a caller can run them in the same
// Prober::Run as its own targets: first `control` http probes, then `system_dns` probes (each
// control host via this machine's resolver), then `direct_dns` probes (each host via each
// direct resolver, resolver-major).
struct ObserverPlan {
  std::vector<core::ProbeSpec> specs;
  std::size_t control = 0;
  std::size_t system_dns = 0;
  std::size_t direct_dns = 0;
};

// The distinct host names of the control URLs, in order; IP literals are left out (nothing to
// resolve).
std::vector<std::string> ControlHosts(const std::vector<core::ProbeSpec>& control);

// DNS probes of `hosts` via `resolver` ("" = this machine's resolver). Ids are "dns:HOST" and
// "dns:HOST@RESOLVER".
std::vector<core::ProbeSpec> ControlDnsSpecs(const std::vector<std::string>& hosts,
                                             const std::string& resolver);

ObserverPlan PlanObserverCheck(const config::Config& config);

// Splits the results of `plan.specs` (same order, same count) into the observer's evidence.
// Aborts when the count does not match: that is a broken invariant of the caller.
diagnose::ObserverInput AssembleObserverInput(const ObserverPlan& plan,
                                              std::span<const core::ProbeResult> results,
                                              const probe::LocalNetwork& local);

// Runs the whole check with one Prober::Run (everything concurrently) and reads this device's
// interfaces and default route. `prober` and `config` must outlive the coroutine.
boost::asio::awaitable<diagnose::ObserverInput> GatherObserverEvidence(
    probe::Prober& prober, const config::Config& config);

// As above with the device's network given (tests, or a caller that already inspected it).
boost::asio::awaitable<diagnose::ObserverInput> GatherObserverEvidence(probe::Prober& prober,
                                                                       const config::Config& config,
                                                                       probe::LocalNetwork local);

}  // namespace lifeline::agent
