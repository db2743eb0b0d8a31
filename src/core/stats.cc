// The shared statistics (stats.h).
#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lifeline::core {
namespace {

// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x) (a > 0, x >= 0):
// the series for x < a + 1, the continued fraction (modified Lentz) otherwise.
double GammaSeries(double a, double x) {
  double sum = 1.0 / a, term = sum, ap = a;
  for (int n = 0; n < 100000; ++n) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-15) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

double GammaContinuedFraction(double a, double x) {
  constexpr double kTiny = 1e-300;
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < 1e-15) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

double GammaP(double a, double x) {
  if (x <= 0) return 0;
  return x < a + 1 ? GammaSeries(a, x) : 1 - GammaContinuedFraction(a, x);
}

double GammaQ(double a, double x) {
  if (x <= 0) return 1;
  return x < a + 1 ? 1 - GammaSeries(a, x) : GammaContinuedFraction(a, x);
}

// P(Z <= z) for a standard normal.
double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

constexpr double kNormalBeyond = 1e4;

}  // namespace

std::optional<double> Median(std::span<const double> values) {
  if (values.empty()) return std::nullopt;
  // Small spans (the weeks of one hour) are sorted on the stack: this runs per hour and metric.
  double small[16];
  std::vector<double> large;
  double* v = small;
  if (values.size() > 16) {
    large.assign(values.begin(), values.end());
    v = large.data();
  } else {
    std::copy(values.begin(), values.end(), small);
  }
  const std::size_t n = values.size(), mid = n / 2;
  std::nth_element(v, v + mid, v + n);
  const double upper = v[mid];
  if (n % 2 == 1) return upper;
  return (*std::max_element(v, v + mid) + upper) / 2;
}

double Mad(std::span<const double> values, double center) {
  std::vector<double> dev;
  dev.reserve(values.size());
  for (double x : values) dev.push_back(std::fabs(x - center));
  return Median(dev).value_or(0);
}

double PoissonUpper(double lambda, long long k) {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  if (lambda > kNormalBeyond) {
    return 1 - NormalCdf((static_cast<double>(k) - 0.5 - lambda) / std::sqrt(lambda));
  }
  return GammaP(static_cast<double>(k), lambda);  // P(X >= k) = P(k, lambda)
}

double PoissonLower(double lambda, long long k) {
  if (k < 0) return 0;
  if (lambda <= 0) return 1;
  if (lambda > kNormalBeyond) {
    return NormalCdf((static_cast<double>(k) + 0.5 - lambda) / std::sqrt(lambda));
  }
  return GammaQ(static_cast<double>(k) + 1, lambda);  // P(X <= k) = Q(k + 1, lambda)
}

}  // namespace lifeline::core
