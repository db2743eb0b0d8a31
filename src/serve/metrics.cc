// Prometheus text rendering of the engine's metrics (format 0.0.4).
#include "serve/metrics.h"

#include <algorithm>

#include <fmt/format.h>

namespace lifeline::serve {
namespace {

const std::vector<double> kProbeBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const std::vector<double> kLatenessBuckets = {0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                              0.5,   1,     2.5,  5,    10};
// Fine enough to read a p99 against the 1 s target (issue 3) from a bucket bound.
const std::vector<double> kProbeLatenessBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4,
    0.5,   0.6,    0.7,   0.8,  0.9,   1,    1.5, 2,    2.5, 5,    10};

// Label values escape backslash, quote and newline.
std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Bound(double b) { return fmt::format("{}", b); }

constexpr core::Verdict kVerdicts[] = {core::Verdict::kUp,           core::Verdict::kDegraded,
                                       core::Verdict::kOutage,       core::Verdict::kRegionalOutage,
                                       core::Verdict::kJustYou,      core::Verdict::kLocalDns,
                                       core::Verdict::kLocalNetwork, core::Verdict::kNoNetwork,
                                       core::Verdict::kUnknown};

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::Render(std::string& out, std::string_view name, std::string_view labels) const {
  std::string sep = labels.empty() ? "" : ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, Bound(bounds_[i]),
                       cumulative);
  }
  cumulative += counts_.back();
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  std::string braces = labels.empty() ? "" : fmt::format("{{{}}}", labels);
  out += fmt::format("{}_sum{} {}\n", name, braces, sum_);
  out += fmt::format("{}_count{} {}\n", name, braces, count_);
}

double Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  std::uint64_t need = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    if (cumulative >= need) return bounds_[i];
  }
  return -1;
}

bool EngineMetrics::PerPlatform(std::optional<bool> setting, std::size_t enabled_platforms) {
  return setting.value_or(enabled_platforms < kPerPlatformLimit);
}

EngineMetrics::EngineMetrics()
    : probe_duration_all_(kProbeBuckets),
      lateness_(kLatenessBuckets),
      probe_lateness_(kProbeLatenessBuckets),
      loop_lag_(kProbeLatenessBuckets) {}

void EngineMetrics::SetPerPlatform(bool on) {
  std::lock_guard lock(mu_);
  per_platform_ = on;
}

void EngineMetrics::ProbeDuration(const std::string& platform, const std::string& probe,
                                  double seconds) {
  std::lock_guard lock(mu_);
  if (!per_platform_) {
    probe_duration_all_.Observe(seconds);
    return;
  }
  auto [it, inserted] = probe_duration_.try_emplace({platform, probe}, kProbeBuckets);
  it->second.Observe(seconds);
}

void EngineMetrics::Lateness(double seconds) {
  std::lock_guard lock(mu_);
  lateness_.Observe(seconds);
}

void EngineMetrics::ProbeLateness(double seconds) {
  std::lock_guard lock(mu_);
  probe_lateness_.Observe(seconds);
  probe_lateness_max_ = std::max(probe_lateness_max_, seconds);
}

void EngineMetrics::LoopLag(double seconds) {
  std::lock_guard lock(mu_);
  loop_lag_.Observe(seconds);
  loop_lag_max_ = std::max(loop_lag_max_, seconds);
}

double EngineMetrics::ProbeLatenessMax() const {
  std::lock_guard lock(mu_);
  return probe_lateness_max_;
}

void EngineMetrics::SetVerdict(const std::string& platform, core::Verdict verdict) {
  std::lock_guard lock(mu_);
  verdicts_[platform] = verdict;
}

void EngineMetrics::RoundDone(bool confirmation) {
  rounds_.fetch_add(1, std::memory_order_relaxed);
  if (confirmation) confirmations_.fetch_add(1, std::memory_order_relaxed);
}

double EngineMetrics::LatenessQuantile(double q) const {
  std::lock_guard lock(mu_);
  return lateness_.Quantile(q);
}

std::string EngineMetrics::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  out +=
      "# HELP lifeline_metrics_per_platform Whether series labelled by platform are rendered "
      "(serve.metrics.per_platform).\n";
  out += "# TYPE lifeline_metrics_per_platform gauge\n";
  out += fmt::format("lifeline_metrics_per_platform {}\n", per_platform_ ? 1 : 0);
  out += "# HELP lifeline_probe_duration_seconds Total time of probes run from here.\n";
  out += "# TYPE lifeline_probe_duration_seconds histogram\n";
  if (per_platform_) {
    for (const auto& [key, h] : probe_duration_) {
      h.Render(out, "lifeline_probe_duration_seconds",
               fmt::format("platform=\"{}\",probe=\"{}\"", Escape(key.first), Escape(key.second)));
    }
  } else {
    probe_duration_all_.Render(out, "lifeline_probe_duration_seconds", "");
  }
  if (per_platform_) {
    out += "# HELP lifeline_platform_verdict The platform's current verdict (1) among all (0).\n";
    out += "# TYPE lifeline_platform_verdict gauge\n";
    for (const auto& [platform, verdict] : verdicts_) {
      for (core::Verdict v : kVerdicts) {
        out += fmt::format("lifeline_platform_verdict{{platform=\"{}\",verdict=\"{}\"}} {}\n",
                           Escape(platform), core::VerdictName(v), v == verdict ? 1 : 0);
      }
    }
  }
  out += "# HELP lifeline_platforms Platforms by current verdict.\n";
  out += "# TYPE lifeline_platforms gauge\n";
  for (core::Verdict v : kVerdicts) {
    std::size_t n = 0;
    for (const auto& [platform, verdict] : verdicts_) n += verdict == v ? 1 : 0;
    out += fmt::format("lifeline_platforms{{verdict=\"{}\"}} {}\n", core::VerdictName(v), n);
  }
  out += "# HELP lifeline_incidents_open Incidents open now.\n";
  out += "# TYPE lifeline_incidents_open gauge\n";
  out += fmt::format("lifeline_incidents_open {}\n", incidents_open_.load());
  out += "# HELP lifeline_probes_in_flight Probes of rounds running now.\n";
  out += "# TYPE lifeline_probes_in_flight gauge\n";
  out += fmt::format("lifeline_probes_in_flight {}\n", probes_in_flight_.load());
  out += "# HELP lifeline_scheduler_queue Platforms due whose round has not started.\n";
  out += "# TYPE lifeline_scheduler_queue gauge\n";
  out += fmt::format("lifeline_scheduler_queue {}\n", queue_.load());
  out +=
      "# HELP lifeline_scheduler_lateness_seconds How late each round started against its due "
      "time.\n";
  out += "# TYPE lifeline_scheduler_lateness_seconds histogram\n";
  lateness_.Render(out, "lifeline_scheduler_lateness_seconds", "");
  out +=
      "# HELP lifeline_probe_start_lateness_seconds How late each probe of a scheduled round "
      "began against its platform's due time (round lateness plus the wait for a concurrency "
      "slot); its count is the scheduled probes done.\n";
  out += "# TYPE lifeline_probe_start_lateness_seconds histogram\n";
  probe_lateness_.Render(out, "lifeline_probe_start_lateness_seconds", "");
  out += "# HELP lifeline_probe_start_lateness_max_seconds The latest start of any probe so far.\n";
  out += "# TYPE lifeline_probe_start_lateness_max_seconds gauge\n";
  out += fmt::format("lifeline_probe_start_lateness_max_seconds {}\n", probe_lateness_max_);
  out +=
      "# HELP lifeline_event_loop_lag_seconds How late the engine's event loop ran a timer due "
      "every 100 ms (it was busy: every round due then started as late).\n";
  out += "# TYPE lifeline_event_loop_lag_seconds histogram\n";
  loop_lag_.Render(out, "lifeline_event_loop_lag_seconds", "");
  out += "# HELP lifeline_event_loop_lag_max_seconds The longest such wait so far.\n";
  out += "# TYPE lifeline_event_loop_lag_max_seconds gauge\n";
  out += fmt::format("lifeline_event_loop_lag_max_seconds {}\n", loop_lag_max_);
  out += "# HELP lifeline_rounds_total Evidence rounds run, confirmations included.\n";
  out += "# TYPE lifeline_rounds_total counter\n";
  out += fmt::format("lifeline_rounds_total {}\n", rounds_.load());
  out += "# HELP lifeline_confirmation_rounds_total Rounds run at once to confirm a failure.\n";
  out += "# TYPE lifeline_confirmation_rounds_total counter\n";
  out += fmt::format("lifeline_confirmation_rounds_total {}\n", confirmations_.load());
  out += "# HELP lifeline_store_errors_total Store writes that failed.\n";
  out += "# TYPE lifeline_store_errors_total counter\n";
  out += fmt::format("lifeline_store_errors_total {}\n", store_errors_.load());
  return out;
}

}  // namespace lifeline::serve
