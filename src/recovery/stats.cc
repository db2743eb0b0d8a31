// The recovery checks' statistics (stats.h).
#include "recovery/stats.h"

#include <algorithm>
#include <cmath>

namespace lifeline::recovery {

std::optional<double> SeasonalNaive(std::span<const std::optional<double>> weeks) {
  std::vector<double> have;
  have.reserve(weeks.size());
  for (const auto& w : weeks) {
    if (w) have.push_back(*w);
  }
  return Median(have);
}

void LeaveOneOutResiduals(std::span<const std::optional<double>> weeks, std::vector<double>& out) {
  std::vector<double> others;
  for (std::size_t i = 0; i < weeks.size(); ++i) {
    if (!weeks[i]) continue;
    others.clear();
    for (std::size_t j = 0; j < weeks.size(); ++j) {
      if (j != i && weeks[j]) others.push_back(*weeks[j]);
    }
    if (auto m = Median(others)) out.push_back(*weeks[i] - *m);
  }
}

double RobustScale(std::span<const double> residuals, double floor) {
  const double center = Median(residuals).value_or(0);
  return std::max(kMadToSigma * Mad(residuals, center), floor);
}

double RobustZ(double actual, double expected, double scale) { return (actual - expected) / scale; }

Judgement JudgeHour(double actual, double expected, double scale, bool count) {
  Judgement j;
  j.expected = expected;
  j.scale = scale;
  j.low = std::max(0.0, expected - kZThreshold * scale);
  j.high = expected + kZThreshold * scale;
  j.z = RobustZ(actual, expected, scale);
  Side side = j.z > kZThreshold ? Side::kHigh : j.z < -kZThreshold ? Side::kLow : Side::kNone;
  if (count) {
    const auto k = static_cast<long long>(std::llround(std::max(0.0, actual)));
    j.p = actual >= expected ? PoissonUpper(expected, k) : PoissonLower(expected, k);
    if (*j.p >= kPoissonAlpha) side = Side::kNone;
  }
  j.side = side;
  return j;
}

}  // namespace lifeline::recovery
