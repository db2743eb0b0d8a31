// The serve engine's Prometheus metrics: probe latency and scheduler lateness histograms, verdict
// gauges, open incidents, probes in flight, the scheduler queue, rounds. Thread-safe.
//
// The series labelled by platform (probe durations by platform and probe, each platform's verdict)
// grow with the platforms: with per-platform series off, /metrics keeps only aggregates (one
// probe-duration histogram, the number of platforms per verdict), so a 10,000-platform scrape
// stays a few kilobytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/types.h"

namespace lifeline::serve {

// Cumulative buckets as Prometheus wants them. Not thread-safe on its own.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // "NAME_bucket{LABELS,le=...} N" ... "NAME_sum{LABELS} S" "NAME_count{LABELS} C"
  void Render(std::string& out, std::string_view name, std::string_view labels) const;
  std::uint64_t count() const { return count_; }
  // The smallest bucket bound with at least `q` of the observations at or below it (+Inf: -1).
  double Quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; last: above every bound
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

class EngineMetrics {
 public:
  // `auto` (serve.metrics.per_platform unset) turns per-platform series off from this many enabled
  // platforms on.
  static constexpr std::size_t kPerPlatformLimit = 1000;
  // Whether per-platform series are rendered: `setting` when set, else fewer enabled platforms
  // than kPerPlatformLimit.
  static bool PerPlatform(std::optional<bool> setting, std::size_t enabled_platforms);

  EngineMetrics();

  // Before the first observation; on by default.
  void SetPerPlatform(bool on);

  void ProbeDuration(const std::string& platform, const std::string& probe, double seconds);
  void Lateness(double seconds);
  // How late one probe of a scheduled round began against its platform's due time (the round's
  // start lateness plus the wait for a concurrency slot); counts the probe as done.
  void ProbeLateness(double seconds);
  // How late the event loop ran a timer that was due (it was busy with other work).
  void LoopLag(double seconds);
  void SetVerdict(const std::string& platform, core::Verdict verdict);
  void SetIncidentsOpen(std::int64_t n) { incidents_open_.store(n, std::memory_order_relaxed); }
  void AddProbesInFlight(std::int64_t delta) {
    probes_in_flight_.fetch_add(delta, std::memory_order_relaxed);
  }
  void SetQueue(std::int64_t n) { queue_.store(n, std::memory_order_relaxed); }
  void RoundDone(bool confirmation);
  void StoreError() { store_errors_.fetch_add(1, std::memory_order_relaxed); }

  std::string Render() const;
  // Lateness quantile (bucket bound), for logs and the bench.
  double LatenessQuantile(double q) const;
  double ProbeLatenessMax() const;

 private:
  mutable std::mutex mu_;  // guards the histograms and verdicts
  bool per_platform_ = true;
  std::map<std::pair<std::string, std::string>, Histogram> probe_duration_;  // when per_platform_
  Histogram probe_duration_all_;                                             // otherwise
  Histogram lateness_;
  Histogram probe_lateness_;
  double probe_lateness_max_ = 0;
  Histogram loop_lag_;
  double loop_lag_max_ = 0;
  std::map<std::string, core::Verdict> verdicts_;
  std::atomic<std::int64_t> incidents_open_{0};
  std::atomic<std::int64_t> probes_in_flight_{0};
  std::atomic<std::int64_t> queue_{0};
  std::atomic<std::uint64_t> rounds_{0};
  std::atomic<std::uint64_t> confirmations_{0};
  std::atomic<std::uint64_t> store_errors_{0};
};

}  // namespace lifeline::serve
