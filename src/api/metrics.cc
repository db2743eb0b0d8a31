// Prometheus text rendering of the API server's counters.
#include "api/metrics.h"

#include <fmt/format.h>

namespace lifeline::api {

void HttpMetrics::Observe(unsigned status, std::chrono::steady_clock::duration elapsed) {
  if (status < by_code_.size()) by_code_[status].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<std::uint64_t>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()),
                    std::memory_order_relaxed);
}

std::string HttpMetrics::Render() const {
  std::string out;
  out +=
      "# HELP lifeline_http_requests_total HTTP requests answered by the API, by status code.\n"
      "# TYPE lifeline_http_requests_total counter\n";
  for (std::size_t code = 0; code < by_code_.size(); ++code) {
    auto n = by_code_[code].load(std::memory_order_relaxed);
    if (n > 0) out += fmt::format("lifeline_http_requests_total{{code=\"{}\"}} {}\n", code, n);
  }
  out +=
      "# HELP lifeline_http_request_duration_seconds Time from a request's header to its "
      "answer.\n"
      "# TYPE lifeline_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out += fmt::format("lifeline_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       kBuckets[i], cumulative);
  }
  cumulative += buckets_[kBuckets.size()].load(std::memory_order_relaxed);
  out +=
      fmt::format("lifeline_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("lifeline_http_request_duration_seconds_sum {}\n",
                     static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9);
  out += fmt::format("lifeline_http_request_duration_seconds_count {}\n",
                     count_.load(std::memory_order_relaxed));
  out += fmt::format(
      "# HELP lifeline_http_connections_open Open HTTP connections to the API.\n"
      "# TYPE lifeline_http_connections_open gauge\n"
      "lifeline_http_connections_open {}\n"
      "# HELP lifeline_sse_clients Clients connected to /v1/events.\n"
      "# TYPE lifeline_sse_clients gauge\n"
      "lifeline_sse_clients {}\n"
      "# HELP lifeline_sse_dropped_total Live-event clients disconnected for reading too slowly.\n"
      "# TYPE lifeline_sse_dropped_total counter\n"
      "lifeline_sse_dropped_total {}\n",
      connections_.load(std::memory_order_relaxed), sse_clients_.load(std::memory_order_relaxed),
      sse_dropped_.load(std::memory_order_relaxed));
  return out;
}

}  // namespace lifeline::api
