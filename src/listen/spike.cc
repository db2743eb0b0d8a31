// The spike detector (spike.h): one hour against its weeks, then the run, then the cooldown.
#include "listen/spike.h"

#include <algorithm>
#include <cmath>

#include <fmt/chrono.h>
#include <fmt/core.h>

#include "core/stats.h"

namespace lifeline::listen {
namespace {

constexpr auto kWeek = std::chrono::hours(24 * 7);

core::Error OutOfRange(std::string_view field, std::string_view range, std::string_view got) {
  return core::MakeError(core::ErrorCode::kInvalidArgument, "{} must be {}, got {}", field, range,
                         got);
}

// 6 -> "6", 6.25 -> "6.3", 0.333 -> "0.33"
std::string Number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{}", static_cast<long long>(v));
  }
  return std::fabs(v) < 1 ? fmt::format("{:.2f}", v) : fmt::format("{:.1f}", v);
}

std::string Posts(std::int64_t n) { return fmt::format("{} post{}", n, n == 1 ? "" : "s"); }

// "14:00-15:00 UTC", or "the first 20 min of 14:00-15:00 UTC" for an hour in progress.
std::string HourText(const HourCheck& c) {
  std::string s = fmt::format("{:%H:%M}-{:%H:%M} UTC", c.hour, c.hour + std::chrono::hours(1));
  if (c.fraction < 1) {
    s = fmt::format("the first {} min of {}", std::lround(c.fraction * 60), s);
  }
  return s;
}

std::string Weeks(const std::vector<std::int64_t>& weeks) {
  std::string s;
  for (auto w : weeks) {
    if (!s.empty()) s += ' ';
    s += std::to_string(w);
  }
  return s;
}

// "57 posts in 14:00-15:00 UTC against 6 expected (median of the same hour over 6 weeks: 4 6 7 5
// 9 6); P(X >= 57) = 3.1e-21"
std::string Numbers(const HourCheck& c, const SpikeConfig& config) {
  std::string s = fmt::format("{} in {}", Posts(c.observed), HourText(c));
  if (c.reason == SpikeReason::kNoData) return s;
  if (c.reason == SpikeReason::kNotEnoughHistory) {
    return fmt::format("{}; {} week{} of history for this hour of the week ({} needed): not judged",
                       s, c.weeks.size(), c.weeks.size() == 1 ? "" : "s", config.min_weeks);
  }
  s += fmt::format(" against {} expected (", Number(c.expected));
  if (c.fraction < 1) s += fmt::format("{:.0f}% of ", c.fraction * 100);
  s += fmt::format("median of the same hour over {} weeks: {}", c.weeks.size(), Weeks(c.weeks));
  if (c.usual < config.floor) s += fmt::format(", counted as {}", Number(config.floor));
  s += fmt::format("); P(X >= {}) = {:.2g}", c.observed, c.p_value);
  return s;
}

}  // namespace

core::Status SpikeConfig::Validate() const {
  if (min_weeks < 1 || min_weeks > 52) {
    return OutOfRange("min_weeks", "between 1 and 52", std::to_string(min_weeks));
  }
  if (max_weeks < min_weeks || max_weeks > 52) {
    return OutOfRange("max_weeks", fmt::format("between min_weeks ({}) and 52", min_weeks),
                      std::to_string(max_weeks));
  }
  if (!(alpha > 0 && alpha <= 0.5)) {
    return OutOfRange("alpha", "greater than 0 and at most 0.5", fmt::format("{}", alpha));
  }
  if (min_count < 1 || min_count > 1000000) {
    return OutOfRange("min_count", "between 1 and 1000000", std::to_string(min_count));
  }
  if (!(min_ratio >= 1 && min_ratio <= 1000)) {
    return OutOfRange("min_ratio", "between 1 and 1000", fmt::format("{}", min_ratio));
  }
  if (!(floor > 0 && floor <= 1e6)) {
    return OutOfRange("floor", "greater than 0 and at most 1000000", fmt::format("{}", floor));
  }
  if (consecutive < 1 || consecutive > 24) {
    return OutOfRange("consecutive", "between 1 and 24", std::to_string(consecutive));
  }
  if (cooldown < std::chrono::minutes(0) || cooldown > std::chrono::hours(24 * 7)) {
    return OutOfRange("cooldown", "between 0 and 10080 min (7 days)",
                      fmt::format("{} min", cooldown.count()));
  }
  if (partial_min < std::chrono::minutes(1) || partial_min > std::chrono::minutes(59)) {
    return OutOfRange("partial_min", "between 1 and 59 min",
                      fmt::format("{} min", partial_min.count()));
  }
  return core::Ok();
}

std::string_view SpikeReasonName(SpikeReason r) {
  switch (r) {
    case SpikeReason::kSpike:
      return "spike";
    case SpikeReason::kNoData:
      return "no_data";
    case SpikeReason::kNotEnoughHistory:
      return "not_enough_history";
    case SpikeReason::kBelowMinCount:
      return "below_min_count";
    case SpikeReason::kNotSignificant:
      return "not_significant";
    case SpikeReason::kBelowRatio:
      return "below_ratio";
    case SpikeReason::kNotConsecutive:
      return "not_consecutive";
    case SpikeReason::kCooldown:
      return "cooldown";
  }
  return "no_data";
}

HourCheck CheckHour(const Series& series, Hour h, double fraction, const SpikeConfig& config) {
  HourCheck c;
  c.hour = h;
  c.fraction = fraction;
  const auto observed = series.Count(h);
  c.observed = observed.value_or(0);
  std::vector<double> weeks;
  for (int k = 1; k <= config.max_weeks; ++k) {
    if (auto n = series.Count(h - kWeek * k)) {
      c.weeks.push_back(*n);
      weeks.push_back(static_cast<double>(*n));
    }
  }
  c.usual = core::Median(weeks).value_or(0);
  c.expected = std::max(c.usual, config.floor) * fraction;
  c.p_value = core::PoissonUpper(c.expected, c.observed);
  if (!observed) {
    c.reason = SpikeReason::kNoData;
  } else if (static_cast<int>(c.weeks.size()) < config.min_weeks) {
    c.reason = SpikeReason::kNotEnoughHistory;
  } else if (c.observed < config.min_count) {
    c.reason = SpikeReason::kBelowMinCount;
  } else if (!(c.p_value < config.alpha)) {
    c.reason = SpikeReason::kNotSignificant;
  } else if (static_cast<double>(c.observed) < config.min_ratio * c.expected) {
    c.reason = SpikeReason::kBelowRatio;
  } else {
    c.reason = SpikeReason::kSpike;
  }
  return c;
}

SpikeDecision JudgeSpike(const Series& series, TimePoint now, const SpikeConfig& config,
                         std::optional<TimePoint> last_fired) {
  SpikeDecision d;
  d.at = now;
  const Hour in_progress = HourOf(now);
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - in_progress);
  Hour hour = in_progress - std::chrono::hours(1);
  double fraction = 1;
  if (config.judge_partial_hour && elapsed >= config.partial_min) {
    hour = in_progress;
    fraction = static_cast<double>(elapsed.count()) / 3600.0;
  }
  d.current = CheckHour(series, hour, fraction, config);
  d.reason = d.current.reason;
  std::string tail;
  if (d.current.unusual()) {
    d.run = 1;
    while (d.run < config.consecutive &&
           CheckHour(series, hour - std::chrono::hours(d.run), 1, config).unusual()) {
      ++d.run;
    }
    d.spiking = d.run >= config.consecutive;
    if (!d.spiking) {
      d.reason = SpikeReason::kNotConsecutive;
      tail = fmt::format("; unusual, {} hour{} in a row of {} needed", d.run, d.run == 1 ? "" : "s",
                         config.consecutive);
    } else if (last_fired && now < *last_fired + config.cooldown) {
      d.reason = SpikeReason::kCooldown;
      d.cooldown_until = *last_fired + config.cooldown;
      tail =
          fmt::format("; spike goes on, already raised at {:%H:%M} UTC (quiet until {:%H:%M} UTC)",
                      std::chrono::floor<std::chrono::minutes>(*last_fired),
                      std::chrono::floor<std::chrono::minutes>(*d.cooldown_until));
    } else {
      d.fired = true;
      tail = fmt::format("; {} hour{} in a row: spike", d.run, d.run == 1 ? "" : "s");
    }
  } else if (d.current.reason == SpikeReason::kBelowMinCount) {
    tail = fmt::format(", below the minimum of {} to judge", config.min_count);
  } else if (d.current.reason == SpikeReason::kNotSignificant) {
    tail = fmt::format(", not below {:g}: usual", config.alpha);
  } else if (d.current.reason == SpikeReason::kBelowRatio) {
    tail =
        fmt::format(", but only {:.2f}x the expected, below {:g}x: usual variation",
                    static_cast<double>(d.current.observed) / d.current.expected, config.min_ratio);
  } else if (d.current.reason == SpikeReason::kNoData) {
    tail = ": no data (the sources were not collecting)";
  }
  d.evidence = Numbers(d.current, config) + tail;
  return d;
}

std::vector<SpikeDecision> Replay(const Series& series, Hour from, Hour to,
                                  const SpikeConfig& config) {
  std::vector<SpikeDecision> out;
  std::optional<TimePoint> last_fired;
  for (Hour h = from; h < to; h += std::chrono::hours(1)) {
    const TimePoint end = h + std::chrono::hours(1);
    out.push_back(JudgeSpike(series, end, config, last_fired));
    if (out.back().fired) last_fired = end;
  }
  return out;
}

}  // namespace lifeline::listen
