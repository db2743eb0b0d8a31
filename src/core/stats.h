// Small robust statistics shared by the parts that judge counts against a seasonal baseline
// (recovery's checks, listening's spike detector): median, MAD, Poisson tails. Pure, no I/O.
#pragma once

#include <optional>
#include <span>

namespace lifeline::core {

// The median of `values` (the mean of the middle two for an even count); nullopt when empty.
std::optional<double> Median(std::span<const double> values);
// The median absolute deviation from `center`; 0 for an empty span.
double Mad(std::span<const double> values, double center);

// P(X >= k) and P(X <= k) for X ~ Poisson(lambda). lambda >= 0; k >= 0. Exact for small lambda,
// a normal approximation with continuity correction beyond lambda 1e4 (where the exact sum would
// need thousands of terms and the approximation is within 1e-3 of it).
double PoissonUpper(double lambda, long long k);
double PoissonLower(double lambda, long long k);

}  // namespace lifeline::core
