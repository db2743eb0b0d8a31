// One check round: gathers the evidence about chosen platforms (probes here, vantage points,
// official status pages, this observer's own connection) concurrently and diagnoses it. Used by
// `lifeline check` once and by `lifeline serve` every round.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/client.h"
#include "config/config.h"
#include "core/result.h"
#include "diagnose/diagnose.h"
#include "probe/probe.h"
#include "sources/statuspage.h"

namespace lifeline::check {

// Picks the platforms to check. An unknown id is an Error naming it, with a suggestion.
core::Result<std::vector<core::Platform>> SelectPlatforms(const config::Config& config,
                                                          const std::vector<std::string>& ids);

// How far a running check has got; read by a progress display on the same event loop.
struct Progress {
  bool local_done = false;
  bool observer_done = false;
  std::size_t vantage_done = 0;
  std::size_t vantage_total = 0;
  std::size_t status_done = 0;
  std::size_t status_total = 0;
  bool Done() const {
    return local_done && observer_done && vantage_done == vantage_total &&
           status_done == status_total;
  }
};

struct Options {
  bool status_pages = true;  // fetch official status pages (serve polls them on its own schedule)
  bool vantage = true;       // ask the vantage points
  Progress* progress = nullptr;
  // With status_pages == false: the pages' last known state by platform id, used in the
  // diagnosis instead of fetching (serve polls them on their own interval). Must outlive Run.
  const std::map<std::string, sources::StatusPageState>* known_status_pages = nullptr;
  // This device's interfaces and route for the observer check; null: probe::InspectLocalNetwork
  // (`lifeline demo` simulates a connected device so it also runs on an offline laptop).
  std::function<probe::LocalNetwork()> inspect_network;
  // Called with each vantage point's reply as it arrives, on the prober's event loop (serve's
  // fleet view, serve/fleet.h). Null: none.
  std::function<void(const agent::VantageReply&)> on_vantage;
};

// Everything a round saw, besides the verdicts: serve stores the raw parts.
struct RoundResult {
  diagnose::CheckReport report;
  std::vector<std::optional<sources::StatusPageState>> status_pages;  // per platform, if fetched
};

// Runs on the prober's event loop. Network failures are evidence in the report, never errors;
// an exception escaping a probe is a bug and propagates.
boost::asio::awaitable<RoundResult> Run(probe::Prober& prober, const config::Config& config,
                                        const std::vector<core::Platform>& platforms,
                                        const Options& options = {});

// Runs a check on a private event loop (the `lifeline check` command). Errors only when our
// machinery fails (e.g. an unreadable CA file).
core::Result<diagnose::CheckReport> RunBlocking(const config::Config& config,
                                                const std::vector<core::Platform>& platforms,
                                                bool show_progress);

}  // namespace lifeline::check
