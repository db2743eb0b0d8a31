// The spike detector of listening: is this hour's volume of a query unusual for this hour of the
// week? Judged against the same hour in the last 4-8 weeks with a Poisson tail, a minimum count,
// N unusual hours in a row and a cooldown. docs/listening.md explains the choices.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "listen/series.h"

namespace lifeline::listen {

struct SpikeConfig {
  // History: the same hour of the week, 1..max_weeks weeks back; the weeks with data are used,
  // and with fewer than min_weeks the hour is not judged (it never fires).
  int min_weeks = 4;
  int max_weeks = 8;
  // An hour is unusual when P(X >= observed | Poisson(expected)) < alpha, observed >= min_count
  // and observed >= min_ratio x expected. expected = max(median of the weeks, floor) (times the
  // share of the hour judged, for a partial hour).
  double alpha = 1e-4;
  std::int64_t min_count = 10;
  // Poisson assumes week-to-week variation as small as chance; real volumes vary more (a busy
  // Monday is 10-20% busier than the last): at 1000 posts/h, 1150 has p ~ 1e-6 yet is no spike.
  double min_ratio = 1.5;
  // The expectation is never below this (posts per hour), so a query usually silent does not
  // turn every post into a spike.
  double floor = 2;
  // Fires when this many hours in a row (ending with the judged one) are unusual...
  int consecutive = 2;
  // ...and not within this long after it last fired.
  std::chrono::minutes cooldown{120};
  // Judge the hour in progress (its expectation scaled by the share elapsed) once at least
  // partial_min of it has passed; otherwise the last complete hour is judged.
  bool judge_partial_hour = false;
  std::chrono::minutes partial_min{10};

  // Errors name the field and its valid range: "alpha must be between 0 and 0.5, got 2".
  [[nodiscard]] core::Status Validate() const;
};

// Why an hour is or is not a spike. Names (SpikeReasonName) are stable: API and CLI show them.
enum class SpikeReason {
  kSpike,             // unusual (for a decision: fired)
  kNoData,            // the sources were not collecting in this hour
  kNotEnoughHistory,  // fewer than min_weeks weeks of history for this hour of the week
  kBelowMinCount,     // fewer posts than min_count
  kNotSignificant,    // the Poisson tail is not below alpha
  kBelowRatio,        // significant but less than min_ratio x expected
  kNotConsecutive,    // unusual, but not `consecutive` hours in a row yet
  kCooldown,          // a spike, but it fired less than `cooldown` ago
};
std::string_view SpikeReasonName(SpikeReason r);  // "spike", "no_data", "not_enough_history", ...

// One hour judged on its own.
struct HourCheck {
  Hour hour{};
  double fraction = 1;  // share of the hour judged: < 1 only for the hour in progress
  std::int64_t observed = 0;
  std::vector<std::int64_t> weeks;  // the same hour 1, 2, ... weeks back (with data), newest first
  double usual = 0;                 // the median of `weeks`; 0 without
  double expected = 0;              // max(usual, floor) x fraction
  double p_value = 1;               // P(X >= observed) for X ~ Poisson(expected)
  SpikeReason reason = SpikeReason::kNoData;  // kSpike when unusual
  bool unusual() const { return reason == SpikeReason::kSpike; }
};

// The detector's answer at one moment, with the numbers to show as evidence.
struct SpikeDecision {
  TimePoint at{};
  HourCheck current;     // the hour judged (the last complete one, or the one in progress)
  int run = 0;           // unusual hours in a row ending with `current` (counted up to consecutive)
  bool spiking = false;  // current and the hours before it are unusual: a spike is on
  bool fired = false;    // spiking and out of cooldown: raise it now
  SpikeReason reason = SpikeReason::kNoData;  // kSpike exactly when fired
  std::optional<TimePoint> cooldown_until;    // when a spike may fire again, if in cooldown
  // A line a person can read: "57 posts in 14:00-15:00 UTC against 6 expected (median of the same
  // hour over 6 weeks: 4 6 7 5 9 6); P(X >= 57) = 3.1e-21; 2 hours in a row: spike"
  std::string evidence;
};

// Judges hour `h` of `series` on its own, `fraction` of it elapsed. `config` must be valid.
HourCheck CheckHour(const Series& series, Hour h, double fraction, const SpikeConfig& config);

// The decision at `now`, given when this query last fired (nullopt: never, or long ago).
// `config` must be valid.
SpikeDecision JudgeSpike(const Series& series, TimePoint now, const SpikeConfig& config,
                         std::optional<TimePoint> last_fired);

// Each complete hour of [from, to) judged at its end, in order, the cooldown carried from one to
// the next: the spike history of a series (and the expected band of its chart).
std::vector<SpikeDecision> Replay(const Series& series, Hour from, Hour to,
                                  const SpikeConfig& config);

}  // namespace lifeline::listen
