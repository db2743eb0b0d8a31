// How late timers fire (lateness.h): a cumulative histogram, the largest lateness and the latest
// firings.
#include "timers/lateness.h"

#include <algorithm>

namespace lifeline::timers {

void Lateness::Record(const store::Timer& timer, TimePoint started) {
  auto late = std::chrono::floor<std::chrono::milliseconds>(started - TimePoint(timer.due));
  late = std::max(late, std::chrono::milliseconds(0));
  std::lock_guard lock(mu_);
  ++count_;
  sum_ += late;
  max_ = std::max(max_, late);
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (late <= kBuckets[i]) ++buckets_[i];
  }
  recent_.push_back({timer.kind, timer.key, late, started});
  if (recent_.size() > kRecent) recent_.pop_front();
}

Lateness::Snapshot Lateness::Get() const {
  std::lock_guard lock(mu_);
  Snapshot s;
  s.count = count_;
  s.sum = sum_;
  s.max = max_;
  s.buckets = buckets_;
  s.recent.assign(recent_.begin(), recent_.end());
  return s;
}

}  // namespace lifeline::timers
