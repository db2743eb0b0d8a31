// The shared statistics on inputs with known answers.
#include "core/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace lifeline::core {
namespace {

TEST(Stats, MedianOfOddAndEvenCounts) {
  EXPECT_EQ(Median(std::vector<double>{5, 1, 3}), 3.0);
  EXPECT_EQ(Median(std::vector<double>{4, 1, 3, 2}), 2.5);
  EXPECT_FALSE(Median(std::vector<double>{}).has_value());
  std::vector<double> many;
  for (int i = 0; i < 101; ++i) many.push_back(100 - i);
  EXPECT_EQ(Median(many), 50.0);
}

TEST(Stats, MadIgnoresOneOutlier) {
  const std::vector<double> v{10, 11, 9, 10, 1000};
  EXPECT_EQ(Mad(v, *Median(v)), 1.0);  // deviations 0, 1, 1, 0, 990 -> median 1
}

TEST(Stats, PoissonTailsMatchTheExactSums) {
  // lambda 2: P(X <= 0) = e^-2; P(X >= 1) = 1 - e^-2; P(X <= 2) = e^-2 (1 + 2 + 2).
  EXPECT_NEAR(PoissonLower(2, 0), std::exp(-2.0), 1e-12);
  EXPECT_NEAR(PoissonUpper(2, 1), 1 - std::exp(-2.0), 1e-12);
  EXPECT_NEAR(PoissonLower(2, 2), 5 * std::exp(-2.0), 1e-12);
  EXPECT_EQ(PoissonUpper(5, 0), 1.0);
  // lambda 100: P(X >= 130) ~ 0.00228 (exact value of the sum).
  EXPECT_NEAR(PoissonUpper(100, 130), 0.0023, 0.0002);
  // Far tails of large rates: the normal approximation beyond 1e4.
  EXPECT_LT(PoissonUpper(50000, 51000), 1e-5);
  EXPECT_GT(PoissonUpper(50000, 50100), 0.3);
  EXPECT_LT(PoissonLower(50000, 49000), 1e-5);
}

}  // namespace
}  // namespace lifeline::core
