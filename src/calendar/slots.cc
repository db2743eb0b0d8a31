// NextFreeSlot (slots.h).
#include "calendar/slots.h"

#include <algorithm>

namespace lifeline::calendar {

std::optional<store::Time> NextFreeSlot(const Release& r, store::Time now,
                                        std::vector<store::Time> taken) {
  using namespace std::chrono;
  std::sort(taken.begin(), taken.end());
  const store::Time horizon = now + kSlotHorizon;
  if (!r.slots.empty()) {
    const store::Time midnight = floor<days>(now);
    // Every slot occurrence from today on, in order; each owns the time until the next one.
    std::vector<store::Time> occurrences;
    for (int d = 0; d <= kSlotHorizon / days(1) + 1; ++d) {
      for (minutes s : r.slots) occurrences.push_back(midnight + days(d) + s);
    }
    for (std::size_t i = 0; i + 1 < occurrences.size(); ++i) {
      const store::Time t = occurrences[i];
      if (t < now) continue;
      if (t > horizon) break;
      const store::Time end = occurrences[i + 1];
      auto it = std::lower_bound(taken.begin(), taken.end(), t);
      if (it == taken.end() || *it >= end) return t;
    }
    return std::nullopt;
  }
  if (r.spacing.count() <= 0) return std::nullopt;
  store::Time t = now;
  for (store::Time d : taken) {
    if (d + r.spacing <= t) continue;
    if (d >= t + r.spacing) break;
    t = d + r.spacing;
  }
  if (t > horizon) return std::nullopt;
  return t;
}

}  // namespace lifeline::calendar
