// Crowd-report spike detection: baseline per window of the week, factor and minimum count, and a
// line a person can read about it.
#include "watch/crowd.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/core.h>

namespace lifeline::watch {
namespace {

core::Error OutOfRange(std::string_view field, std::string_view range, std::string_view got) {
  return core::MakeError(core::ErrorCode::kInvalidArgument, "{} must be {}, got {}", field, range,
                         got);
}

// 9 -> "9", 8.5 -> "8.5", 8.25 -> "8.3"
std::string Number(double v) {
  const double r = std::round(v * 10) / 10;
  if (r == std::floor(r)) return fmt::format("{}", static_cast<long long>(r));
  return fmt::format("{:.1f}", r);
}

std::string Ratio(double ratio) {
  if (ratio >= 10) return fmt::format("{}x", static_cast<long long>(std::round(ratio)));
  return Number(ratio) + "x";
}

std::string InTheLast(std::chrono::minutes window) {
  const auto m = window.count();
  if (m == 60) return "in the last hour";
  if (m % 60 == 0) return fmt::format("in the last {} hours", m / 60);
  return fmt::format("in the last {} minutes", m);
}

std::string_view DayName(std::chrono::weekday d) {
  static constexpr std::string_view kNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                "Thursday", "Friday", "Saturday"};
  return kNames[d.c_encoding()];
}

std::string ClockTime(TimePoint t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::minutes>(t - day));
  return fmt::format("{:02}:{:02}", hms.hours().count(), hms.minutes().count());
}

// "Tuesday 13:20-14:20 UTC": the window of the week the baseline is about.
std::string WeekWindow(TimePoint from, TimePoint to) {
  const std::chrono::weekday wd(std::chrono::floor<std::chrono::days>(from));
  return fmt::format("{} {}-{} UTC", DayName(wd), ClockTime(from), ClockTime(to));
}

}  // namespace

core::Status CrowdConfig::Validate() const {
  using std::chrono::minutes;
  if (window < minutes(5) || window > std::chrono::hours(24)) {
    return OutOfRange("window", "between 5 min and 1440 min (24 h)",
                      fmt::format("{} min", window.count()));
  }
  if (weeks < 1 || weeks > 52)
    return OutOfRange("weeks", "between 1 and 52", std::to_string(weeks));
  if (!(trim >= 0 && trim < 0.5)) {
    return OutOfRange("trim", "at least 0 and below 0.5", Number(trim));
  }
  if (!(floor > 0 && floor <= 1e6)) {
    return OutOfRange("floor", "greater than 0 and at most 1000000", Number(floor));
  }
  if (!(factor > 1 && factor <= 1000)) {
    return OutOfRange("factor", "greater than 1 and at most 1000", Number(factor));
  }
  if (min_count < 1 || min_count > 1000000) {
    return OutOfRange("min_count", "between 1 and 1000000", std::to_string(min_count));
  }
  return core::Ok();
}

std::vector<CountWindow> CrowdWindows(TimePoint now, const CrowdConfig& config) {
  std::vector<CountWindow> out;
  for (int k = 0; k <= config.weeks; ++k) {
    const TimePoint to = now - std::chrono::days(7) * k;
    out.push_back(CountWindow{to - config.window, to});
  }
  return out;
}

double Usual(std::vector<int> previous, const CrowdConfig& config) {
  if (previous.empty()) return 0;
  std::sort(previous.begin(), previous.end());
  const std::size_t n = previous.size();
  if (config.method == BaselineMethod::kMedian) {
    return n % 2 == 1 ? previous[n / 2] : (previous[n / 2 - 1] + previous[n / 2]) / 2.0;
  }
  const auto drop = static_cast<std::size_t>(std::floor(static_cast<double>(n) * config.trim));
  const auto first = previous.begin() + static_cast<std::ptrdiff_t>(drop);
  const auto last = previous.end() - static_cast<std::ptrdiff_t>(drop);
  return std::accumulate(first, last, 0.0) / static_cast<double>(last - first);
}

CrowdSignal AssessCrowd(TimePoint now, const CrowdCounts& counts, const CrowdConfig& config) {
  CrowdSignal s;
  s.platform = counts.platform;
  s.reports = std::max(0, counts.current);
  s.weeks = static_cast<int>(counts.previous.size());
  s.usual = Usual(counts.previous, config);
  s.baseline = std::max(s.usual, config.floor);
  s.ratio = s.reports / s.baseline;
  s.flagged = s.reports > s.baseline * config.factor && s.reports >= config.min_count;

  const std::string reports =
      fmt::format("{} report{} {}", s.reports, s.reports == 1 ? "" : "s", InTheLast(config.window));
  const std::string when = WeekWindow(now - config.window, now);
  std::string usual;
  if (s.weeks == 0) {
    usual = fmt::format("no history for {} yet, so {} is taken as usual", when, Number(s.baseline));
  } else {
    usual = fmt::format("{} the usual {} for {}", Ratio(s.ratio), Number(s.usual), when);
    if (s.usual < config.floor) usual += fmt::format(" (counted as {})", Number(config.floor));
  }
  s.evidence = fmt::format("{}, {}", reports, usual);
  if (!s.flagged && s.reports > s.baseline * config.factor) {
    s.evidence += fmt::format("; below the minimum of {} to flag", config.min_count);
  }
  return s;
}

}  // namespace lifeline::watch
