// The durable timers on /metrics (Prometheus text): how late they fire, as a histogram and its
// largest value, and what became of their runs. Route groups whose part owns a Scheduler append it.
#pragma once

#include <string>

#include "timers/lateness.h"
#include "timers/scheduler.h"

namespace lifeline::timers {

// lifeline_timer_lateness_seconds (a histogram on Lateness::kBuckets: from a timer's due time to
// its handler's start; `_count` is the firings) and lifeline_timer_lateness_max_seconds (the
// largest since start-up), each with # HELP and # TYPE lines.
std::string LatenessMetrics(const Lateness::Snapshot& lateness);

// lifeline_timer_runs_total{outcome}: handler runs by what became of them (completed, retried,
// failed, lost, skipped) and lifeline_timer_store_errors_total.
std::string StatsMetrics(const SchedulerStats& stats);

// Both, for `scheduler` as it is now.
std::string SchedulerMetrics(const Scheduler& scheduler);

}  // namespace lifeline::timers
