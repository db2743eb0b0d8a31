// Crowd-report spikes, Downdetector's method made explicit: reports in a sliding window compared
// with the same window of the week in earlier weeks. Pure logic over counts the store supplies.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/result.h"
#include "watch/state_machine.h"

namespace lifeline::watch {

enum class BaselineMethod {
  kMedian,       // the middle week: one unusual week (an old outage) does not move it
  kTrimmedMean,  // the mean after dropping `trim` of the weeks at each end
};

struct CrowdConfig {
  // Reports are counted over the sliding window (now - window, now], and the baseline over the
  // same window of the week (same weekday and time of day, UTC) in each of the last `weeks`.
  std::chrono::minutes window{60};
  int weeks = 4;
  BaselineMethod method = BaselineMethod::kMedian;
  double trim = 0.25;  // kTrimmedMean only: share of weeks dropped at each end, [0, 0.5)
  // The baseline is never below `floor` reports per window, so a usually silent platform is not
  // flagged by a handful of reports (and the ratio stays finite).
  double floor = 2;
  // Flagged when reports > baseline * factor AND reports >= min_count.
  double factor = 3;
  int min_count = 10;

  // Errors name the field and its valid range: "factor must be between 1 and 1000, got 0.5".
  [[nodiscard]] core::Status Validate() const;
};

struct CountWindow {
  TimePoint from;  // exclusive
  TimePoint to;    // inclusive
};

// The windows to count for a check at `now`: [0] is the current window, [k] the same window k
// weeks earlier (k = 1..weeks).
std::vector<CountWindow> CrowdWindows(TimePoint now, const CrowdConfig& config);

struct CrowdCounts {
  std::string platform;  // id
  int current = 0;       // reports in the current window
  // Reports in the same window 1, 2, ... weeks earlier, newest first. Only weeks in which reports
  // were being collected: leave out weeks before the platform was watched (may be empty).
  std::vector<int> previous;
};

struct CrowdSignal {
  std::string platform;
  int reports = 0;
  int weeks = 0;        // weeks of history the baseline came from
  double usual = 0;     // the median (or trimmed mean) of those weeks; 0 without history
  double baseline = 0;  // max(usual, floor)
  double ratio = 0;     // reports / baseline
  bool flagged = false;
  // "57 reports in the last hour, 6.3x the usual 9 for Tuesday 13:20-14:20 UTC"
  std::string evidence;
};

// The usual count over `previous` by config.method; 0 when `previous` is empty.
double Usual(std::vector<int> previous, const CrowdConfig& config);

// `config` must be valid.
CrowdSignal AssessCrowd(TimePoint now, const CrowdCounts& counts, const CrowdConfig& config);

}  // namespace lifeline::watch
