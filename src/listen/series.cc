// Hourly counts of a listening query (series.h).
#include "listen/series.h"

namespace lifeline::listen {

Hour HourOf(TimePoint t) { return std::chrono::floor<std::chrono::hours>(t); }

std::size_t Series::Index(Hour h) const { return static_cast<std::size_t>((h - start_).count()); }

bool Series::Add(Hour h, std::int64_t n) {
  if (h < start_) return false;
  ExtendTo(h + std::chrono::hours(1));
  auto& c = counts_[Index(h)];
  if (c == kMissing) c = 0;
  c += n;
  return true;
}

void Series::ExtendTo(Hour end) {
  if (end > this->end()) counts_.resize(Index(end), 0);
}

void Series::MarkMissing(Hour h) {
  if (h < start_) return;
  ExtendTo(h + std::chrono::hours(1));
  counts_[Index(h)] = kMissing;
}

std::optional<std::int64_t> Series::Count(Hour h) const {
  if (h < start_ || h >= end()) return std::nullopt;
  const auto c = counts_[Index(h)];
  if (c == kMissing) return std::nullopt;
  return c;
}

}  // namespace lifeline::listen
