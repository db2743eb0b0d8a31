// The API server's own Prometheus metrics: requests by status code, request duration, open
// connections and live-event clients. Lock-free: every request on every server thread updates it.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace lifeline::api {

class HttpMetrics {
 public:
  // Request duration histogram bounds, in seconds.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};

  // One answered request. For live-event streams, the time to the response header.
  void Observe(unsigned status, std::chrono::steady_clock::duration elapsed);
  void ConnectionOpened() { connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { connections_.fetch_sub(1, std::memory_order_relaxed); }
  void SseOpened() { sse_clients_.fetch_add(1, std::memory_order_relaxed); }
  void SseClosed() { sse_clients_.fetch_sub(1, std::memory_order_relaxed); }
  void SseDropped() { sse_dropped_.fetch_add(1, std::memory_order_relaxed); }

  std::uint64_t requests(unsigned status) const {
    return status < by_code_.size() ? by_code_[status].load(std::memory_order_relaxed) : 0;
  }

  // Prometheus text format 0.0.4.
  std::string Render() const;

 private:
  std::array<std::atomic<std::uint64_t>, 600> by_code_{};
  std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> buckets_{};  // last: +Inf only
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_ns_{0};
  std::atomic<std::int64_t> connections_{0};
  std::atomic<std::int64_t> sse_clients_{0};
  std::atomic<std::uint64_t> sse_dropped_{0};
};

}  // namespace lifeline::api
