// The dry run of `lifeline drill PLATFORM --dry-run`: the real engine runs the plan against a
// simulated outage in a throw-away store (a temporary SQLite file, deleted afterwards), on a
// simulated clock that jumps from one timer to the next, with a relay that is never started: the
// router picks each message's channel exactly as in a real outage (the simulated incident opens
// the circuits of the channels riding it), the messages are stored in the throw-away outbox and
// nothing is sent. Nobody acknowledges, or everyone does `ack_after` after being asked; the
// platform is back after `duration`, then the monitoring window runs to resolved.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "channels/config.h"
#include "config/config.h"
#include "core/result.h"
#include "playbook/drill_report.h"
#include "playbook/plan.h"

namespace lifeline::playbook {

struct DryRunOptions {
  std::string platform;
  bool domain_wide = false;  // the whole failure domain fails (--domain)
  Duration duration = std::chrono::minutes(30);
  std::optional<Duration> ack_after;  // unset: nobody acknowledges
  std::optional<TimePoint> start;     // when the outage begins (working hours!); unset = now
  PlanOptions plan;                   // --plan FILE
  // Channel kinds to build the relay from; empty = the real adapters (tests pass fakes).
  std::span<const channels::Kind> kinds;
  // Simulated time after the restoration at which the simulation stops if the plan is still
  // running (a monitoring window longer than this, an approval that waits for ever).
  Duration horizon = std::chrono::hours(24 * 7);
  std::function<void(std::string_view)> log;  // the engine's notable events; null = silent
};

// Runs the simulation and returns its report (DrillSetup::dry_run set). Errors: the config's or
// the plan's (kInvalidArgument FILE:LINE: KEY), ResolveDrill's (unknown platform, no response
// answers the outage), kDeadlineExceeded when the engine does not settle.
[[nodiscard]] core::Result<DrillReport> RunDryRun(const config::Config& config,
                                                  const DryRunOptions& options);

}  // namespace lifeline::playbook
