// The statistics of the recovery checks, pure and without I/O: the expected value of an hour
// (seasonal naive), a robust z-score of its residual (median/MAD), and Poisson tails for counts.
// docs/recovery.md explains the choices; stats_test.cc checks them on series with known answers.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "core/stats.h"

namespace lifeline::recovery {

// 1.4826 x MAD estimates the standard deviation of normally distributed data.
inline constexpr double kMadToSigma = 1.4826;
// |z| above this is an anomaly (Iglewicz and Hoaglin's cut-off for modified z-scores).
inline constexpr double kZThreshold = 3.5;
// A Poisson tail below this rejects "the count is what the expected rate gives".
inline constexpr double kPoissonAlpha = 1e-3;

// Median, MAD and the Poisson tails live in core/stats.h (listening's spike detector uses them
// too).
using core::Mad;
using core::Median;
using core::PoissonLower;
using core::PoissonUpper;

// Seasonal naive: the expected value of an hour is the median of the same hour of the week in
// the prior weeks given (nullopt entries are weeks without data). nullopt when no week has data.
std::optional<double> SeasonalNaive(std::span<const std::optional<double>> same_hour_prior_weeks);

// Leave-one-out residuals of one hour-of-week: for each week with data, its value minus the
// median of the other weeks with data (an honest out-of-sample residual: a week never predicts
// itself). Appended to `out`; nothing when fewer than two weeks have data.
void LeaveOneOutResiduals(std::span<const std::optional<double>> weeks, std::vector<double>& out);

// The spread a residual is judged against: 1.4826 x MAD of `residuals` (around their median),
// never below `floor` (a perfectly regular history has MAD 0: without a floor every change would
// be an anomaly).
double RobustScale(std::span<const double> residuals, double floor);

// (actual - expected) / scale; scale must be > 0.
double RobustZ(double actual, double expected, double scale);

// Which side an observation is out of line on.
enum class Side { kNone, kHigh, kLow };

struct Judgement {
  double expected = 0;
  double scale = 0;  // the robust sigma
  double low = 0;    // expected - 3.5 sigma, not below 0
  double high = 0;   // expected + 3.5 sigma
  double z = 0;
  std::optional<double> p;  // the Poisson tail on the side of the deviation (counts only)
  Side side = Side::kNone;  // kNone: within the band (or not significant)
};

// Judges one hour: `actual` against `expected` with spread `scale`. For a count (`count` true)
// the robust z must pass the threshold AND the Poisson tail must be below kPoissonAlpha: week to
// week variation and chance at that count level must both fail to explain it.
Judgement JudgeHour(double actual, double expected, double scale, bool count);

}  // namespace lifeline::recovery
