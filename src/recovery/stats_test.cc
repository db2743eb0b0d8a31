// The recovery statistics on inputs with known answers.
#include "recovery/stats.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace lifeline::recovery {
namespace {

TEST(Stats, SeasonalNaiveIsTheMedianOfTheWeeksWithData) {
  std::optional<double> weeks[] = {100, std::nullopt, 120, 2000};
  EXPECT_EQ(SeasonalNaive(weeks), 120.0);  // a one-week spike (a sale) does not move it
  std::optional<double> none[] = {std::nullopt, std::nullopt};
  EXPECT_FALSE(SeasonalNaive(none).has_value());
}

TEST(Stats, LeaveOneOutResidualsNeverPredictAWeekFromItself) {
  std::optional<double> weeks[] = {10, 12, 14, std::nullopt};
  std::vector<double> r;
  LeaveOneOutResiduals(weeks, r);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_DOUBLE_EQ(r[0], 10 - 13.0);
  EXPECT_DOUBLE_EQ(r[1], 12 - 12.0);
  EXPECT_DOUBLE_EQ(r[2], 14 - 11.0);
  std::optional<double> one[] = {10, std::nullopt};
  r.clear();
  LeaveOneOutResiduals(one, r);
  EXPECT_TRUE(r.empty());
}

TEST(Stats, RobustScaleIsMadTimes14826WithAFloor) {
  const std::vector<double> r{-2, -1, 0, 1, 2};
  EXPECT_NEAR(RobustScale(r, 0.1), 1.4826, 1e-12);
  EXPECT_EQ(RobustScale(std::vector<double>{0, 0, 0}, 0.5), 0.5);
}

TEST(Stats, JudgeHourFlagsOnlyWhatBothTestsReject) {
  // Far above the band: flagged high.
  auto j = JudgeHour(200, 100, 10, true);
  EXPECT_EQ(j.side, Side::kHigh);
  EXPECT_NEAR(j.z, 10, 1e-12);
  EXPECT_NEAR(j.low, 65, 1e-12);
  EXPECT_NEAR(j.high, 135, 1e-12);
  // Within the band.
  EXPECT_EQ(JudgeHour(120, 100, 10, true).side, Side::kNone);
  // A small count: 4 against 0.5 expected has z 35 with a tiny spread, but chance explains it
  // more often than alpha (P(X >= 4 | 0.5) = 0.0018): not flagged.
  auto small = JudgeHour(4, 0.5, 0.1, true);
  EXPECT_GT(small.z, kZThreshold);
  EXPECT_EQ(small.side, Side::kNone);
  // The same numbers as money are not counts: flagged.
  EXPECT_EQ(JudgeHour(4, 0.5, 0.1, false).side, Side::kHigh);
  EXPECT_EQ(JudgeHour(0, 1000, 50, true).side, Side::kLow);
  EXPECT_EQ(JudgeHour(0, 0, 1, true).side, Side::kNone);
}

}  // namespace
}  // namespace lifeline::recovery
