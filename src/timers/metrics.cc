// The durable timers on /metrics (metrics.h).
#include "timers/metrics.h"

#include <chrono>
#include <string_view>

#include <fmt/format.h>

namespace lifeline::timers {
namespace {

// Seconds as Prometheus writes them: "0.01", "1", "3600".
std::string Seconds(std::chrono::milliseconds d) {
  return fmt::format("{}", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

std::string LatenessMetrics(const Lateness::Snapshot& s) {
  std::string out;
  out +=
      "# HELP lifeline_timer_lateness_seconds How late durable timers (escalations, approval "
      "timeouts, waits) fired: from the due time to the handler's start.\n";
  out += "# TYPE lifeline_timer_lateness_seconds histogram\n";
  for (std::size_t i = 0; i < Lateness::kBuckets.size(); ++i) {
    out += fmt::format("lifeline_timer_lateness_seconds_bucket{{le=\"{}\"}} {}\n",
                       Seconds(Lateness::kBuckets[i]), s.buckets[i]);
  }
  out += fmt::format("lifeline_timer_lateness_seconds_bucket{{le=\"+Inf\"}} {}\n", s.count);
  out += fmt::format("lifeline_timer_lateness_seconds_sum {}\n", Seconds(s.sum));
  out += fmt::format("lifeline_timer_lateness_seconds_count {}\n", s.count);
  out +=
      "# HELP lifeline_timer_lateness_max_seconds The latest any durable timer fired since "
      "start-up.\n";
  out += "# TYPE lifeline_timer_lateness_max_seconds gauge\n";
  out += fmt::format("lifeline_timer_lateness_max_seconds {}\n", Seconds(s.max));
  return out;
}

std::string StatsMetrics(const SchedulerStats& s) {
  std::string out;
  out += "# HELP lifeline_timer_runs_total Durable timer handler runs, by what became of them.\n";
  out += "# TYPE lifeline_timer_runs_total counter\n";
  const std::pair<std::string_view, std::uint64_t> outcomes[] = {
      {"completed", s.completed}, {"retried", s.retried}, {"failed", s.failed},
      {"lost", s.lost},           {"skipped", s.skipped},
  };
  for (const auto& [outcome, n] : outcomes) {
    out += fmt::format("lifeline_timer_runs_total{{outcome=\"{}\"}} {}\n", outcome, n);
  }
  out += "# HELP lifeline_timer_store_errors_total Failed store calls of the timer scheduler.\n";
  out += "# TYPE lifeline_timer_store_errors_total counter\n";
  out += fmt::format("lifeline_timer_store_errors_total {}\n", s.store_errors);
  return out;
}

std::string SchedulerMetrics(const Scheduler& scheduler) {
  return LatenessMetrics(scheduler.lateness().Get()) + StatsMetrics(scheduler.Stats());
}

}  // namespace lifeline::timers
