// How late durable timers fire: from a timer's due time to the start of its handler. Kept by the
// scheduler for /metrics (a Prometheus histogram) and the dashboard (the largest and the latest).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "store/timers.h"

namespace lifeline::timers {

// Thread-safe: Record and Get may be called from any thread.
class Lateness {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Upper bounds of the histogram's buckets (Prometheus `le`); +Inf is implied (it is `count`).
  static constexpr std::array<std::chrono::milliseconds, 10> kBuckets = {
      std::chrono::milliseconds(10), std::chrono::milliseconds(100), std::chrono::milliseconds(500),
      std::chrono::seconds(1),       std::chrono::seconds(5),        std::chrono::seconds(15),
      std::chrono::minutes(1),       std::chrono::minutes(5),        std::chrono::minutes(15),
      std::chrono::hours(1),
  };
  // How many of the latest firings Get keeps.
  static constexpr std::size_t kRecent = 64;

  struct Sample {
    std::string kind;
    std::string key;
    std::chrono::milliseconds lateness{0};
    TimePoint started;
  };

  struct Snapshot {
    std::uint64_t count = 0;                               // firings recorded
    std::chrono::milliseconds sum{0};                      // of their lateness
    std::chrono::milliseconds max{0};                      // the largest
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative: firings <= kBuckets[i]
    std::vector<Sample> recent;  // the latest, oldest first, at most kRecent
  };

  // A handler of `timer` starts at `started`. A start before the due time (another instance's
  // clock ahead of ours) counts as 0.
  void Record(const store::Timer& timer, TimePoint started);
  Snapshot Get() const;

 private:
  mutable std::mutex mu_;  // guards everything below
  std::uint64_t count_ = 0;
  std::chrono::milliseconds sum_{0};
  std::chrono::milliseconds max_{0};
  std::array<std::uint64_t, kBuckets.size()> buckets_{};
  std::deque<Sample> recent_;
};

}  // namespace lifeline::timers
