// Hourly post counts of one listening query, in UTC hour buckets, from the hour its collection
// began: what the spike detector (spike.h) and the volume chart read.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace lifeline::listen {

using TimePoint = std::chrono::system_clock::time_point;
// The start of a UTC hour bucket.
using Hour = std::chrono::sys_time<std::chrono::hours>;

// The bucket `t` falls in.
Hour HourOf(TimePoint t);

// Counts per hour over [start, end). An hour inside the range counts 0 unless posts were added,
// or has no data when marked missing (the sources were not collecting: an outage of ours must not
// look like silence). Hours outside the range have no data. Not thread-safe; a value type.
class Series {
 public:
  explicit Series(Hour start) : start_(start) {}

  Hour start() const { return start_; }
  Hour end() const { return start_ + std::chrono::hours(static_cast<long>(counts_.size())); }

  // Adds `n` posts to hour `h`, extending the range to cover it. Hours before start() are
  // ignored and return false: collection had not begun, so such a post (a source's backfill)
  // cannot be told from a count, and a count without its hour's whole data would mislead.
  bool Add(Hour h, std::int64_t n = 1);
  bool Add(TimePoint t, std::int64_t n = 1) { return Add(HourOf(t), n); }
  // Extends the range to [start, end): collection ran until then, nothing else came.
  void ExtendTo(Hour end);
  // Hour `h` (inside the range after this call, if after start) has no data. A later Add makes it
  // count again from 0 plus what is added.
  void MarkMissing(Hour h);

  // The count of hour `h`; nullopt outside the range or when missing.
  std::optional<std::int64_t> Count(Hour h) const;

 private:
  static constexpr std::int64_t kMissing = -1;
  std::size_t Index(Hour h) const;  // h >= start_

  Hour start_;
  std::vector<std::int64_t> counts_;  // [i] is hour start_ + i h
};

}  // namespace lifeline::listen
