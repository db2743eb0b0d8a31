// Tests for crowd-report spike detection: counts against the same window of earlier weeks, the
// factor and minimum count, the floor, and the line a person reads.
#include "watch/crowd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

namespace lifeline::watch {
namespace {

using namespace std::chrono_literals;

// Tuesday 2026-11-24 14:20 UTC.
const TimePoint kNow = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 14h + 20min;

struct Case {
  std::string name;
  int current;
  std::vector<int> previous;
  bool flagged;
  std::string evidence;
  std::function<void(CrowdConfig&)> change = [](CrowdConfig&) {};
  TimePoint now = kNow;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class CrowdTest : public ::testing::TestWithParam<Case> {};

TEST_P(CrowdTest, FlagsAndExplains) {
  const Case& c = GetParam();
  CrowdConfig config;
  c.change(config);
  ASSERT_TRUE(config.Validate());
  auto s = AssessCrowd(c.now, CrowdCounts{"instagram", c.current, c.previous}, config);
  EXPECT_EQ(s.platform, "instagram");
  EXPECT_EQ(s.flagged, c.flagged);
  EXPECT_EQ(s.evidence, c.evidence);
  EXPECT_EQ(s.weeks, static_cast<int>(c.previous.size()));
}

INSTANTIATE_TEST_SUITE_P(
    Crowd, CrowdTest,
    ::testing::Values(
        Case{"a_spike",
             57,
             {9, 8, 10, 9},
             true,
             "57 reports in the last hour, 6.3x the usual 9 for Tuesday 13:20-14:20 UTC"},
        Case{"a_normal_hour",
             11,
             {9, 8, 10, 9},
             false,
             "11 reports in the last hour, 1.2x the usual 9 for Tuesday 13:20-14:20 UTC"},
        Case{"above_the_factor_but_too_few",
             8,
             {2, 1, 2, 3},
             false,
             "8 reports in the last hour, 4x the usual 2 for Tuesday 13:20-14:20 UTC; below "
             "the minimum of 10 to flag"},
        Case{"exactly_the_factor_is_not_a_spike",
             27,
             {9, 9, 9, 9},
             false,
             "27 reports in the last hour, 3x the usual 9 for Tuesday 13:20-14:20 UTC"},
        Case{"just_over_the_factor_is",
             28,
             {9, 9, 9, 9},
             true,
             "28 reports in the last hour, 3.1x the usual 9 for Tuesday 13:20-14:20 UTC"},
        Case{"a_quiet_platform_uses_the_floor",
             12,
             {0, 0, 0, 1},
             true,
             "12 reports in the last hour, 6x the usual 0 for Tuesday 13:20-14:20 UTC "
             "(counted as 2)"},
        Case{"the_floor_keeps_a_few_reports_quiet",
             5,
             {0, 0, 0, 0},
             false,
             "5 reports in the last hour, 2.5x the usual 0 for Tuesday 13:20-14:20 UTC "
             "(counted as 2)"},
        Case{"no_history_yet",
             12,
             {},
             true,
             "12 reports in the last hour, no history for Tuesday 13:20-14:20 UTC yet, so 2 is "
             "taken as usual"},
        // A past outage week (300) does not inflate the median: 9.5.
        Case{"the_median_ignores_an_old_outage",
             40,
             {9, 300, 8, 10},
             true,
             "40 reports in the last hour, 4.2x the usual 9.5 for Tuesday 13:20-14:20 UTC"},
        Case{"trimmed_mean_ignores_it_too",
             40,
             {9, 300, 8, 10},
             true,
             "40 reports in the last hour, 4.2x the usual 9.5 for Tuesday 13:20-14:20 UTC",
             [](CrowdConfig& c) { c.method = BaselineMethod::kTrimmedMean; }},
        Case{"untrimmed_mean_would_not",
             40,
             {9, 300, 8, 10},
             false,
             "40 reports in the last hour, 0.5x the usual 81.8 for Tuesday 13:20-14:20 UTC",
             [](CrowdConfig& c) {
               c.method = BaselineMethod::kTrimmedMean;
               c.trim = 0;
             }},
        Case{"odd_number_of_weeks",
             20,
             {3, 100, 5},
             true,
             "20 reports in the last hour, 4x the usual 5 for Tuesday 13:20-14:20 UTC"},
        Case{"big_ratios_are_whole",
             500,
             {9, 9, 9},
             true,
             "500 reports in the last hour, 56x the usual 9 for Tuesday 13:20-14:20 UTC"},
        Case{"one_report",
             1,
             {1},
             false,
             "1 report in the last hour, 0.5x the usual 1 for Tuesday 13:20-14:20 UTC "
             "(counted as 2)"},
        Case{"a_shorter_window",
             30,
             {4, 5},
             true,
             "30 reports in the last 30 minutes, 6.7x the usual 4.5 for Tuesday 13:50-14:20 UTC",
             [](CrowdConfig& c) { c.window = 30min; }},
        Case{"a_longer_window",
             30,
             {4},
             true,
             "30 reports in the last 2 hours, 7.5x the usual 4 for Tuesday 12:20-14:20 UTC",
             [](CrowdConfig& c) { c.window = 120min; }},
        Case{"configurable_factor_and_minimum",
             5,
             {1},
             true,
             "5 reports in the last hour, 5x the usual 1 for Monday 23:30-00:30 UTC",
             [](CrowdConfig& c) {
               c.floor = 1;
               c.factor = 4;
               c.min_count = 5;
             },
             std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 30min}),
    [](const auto& info) { return info.param.name; });

TEST(Crowd, SignalCarriesTheNumbers) {
  auto s = AssessCrowd(kNow, CrowdCounts{"x", 57, {9, 8, 10, 9}}, CrowdConfig{});
  EXPECT_EQ(s.reports, 57);
  EXPECT_EQ(s.weeks, 4);
  EXPECT_DOUBLE_EQ(s.usual, 9);
  EXPECT_DOUBLE_EQ(s.baseline, 9);
  EXPECT_DOUBLE_EQ(s.ratio, 57.0 / 9);
}

TEST(Crowd, WindowsToCountAreTheSameTimeOfWeek) {
  CrowdConfig config;
  config.weeks = 3;
  auto w = CrowdWindows(kNow, config);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(core::FormatTime(w[0].from), "2026-11-24T13:20:00Z");
  EXPECT_EQ(core::FormatTime(w[0].to), "2026-11-24T14:20:00Z");
  EXPECT_EQ(core::FormatTime(w[1].from), "2026-11-17T13:20:00Z");
  EXPECT_EQ(core::FormatTime(w[3].to), "2026-11-03T14:20:00Z");
}

TEST(Crowd, UsualByMethod) {
  CrowdConfig median;
  EXPECT_EQ(Usual({}, median), 0);
  EXPECT_EQ(Usual({7}, median), 7);
  EXPECT_EQ(Usual({1, 2, 3, 4}, median), 2.5);
  CrowdConfig trimmed{.method = BaselineMethod::kTrimmedMean, .trim = 0.2};
  // 10 weeks, 20% trim: the 2 lowest and 2 highest go.
  EXPECT_EQ(Usual({0, 0, 5, 5, 5, 5, 5, 5, 90, 90}, trimmed), 5);
  EXPECT_EQ(Usual({4, 6}, trimmed), 5);  // too few weeks to trim any
}

struct BadConfig {
  std::string name;
  std::function<void(CrowdConfig&)> change;
  std::string message;
};

void PrintTo(const BadConfig& c, std::ostream* os) { *os << c.name; }

class CrowdConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(CrowdConfigTest, NamesTheFieldAndItsRange) {
  CrowdConfig c;
  GetParam().change(c);
  auto s = c.Validate();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Crowd, CrowdConfigTest,
    ::testing::Values(BadConfig{"window_short", [](CrowdConfig& c) { c.window = 1min; },
                                "window must be between 5 min and 1440 min (24 h), got 1 min"},
                      BadConfig{"weeks_zero", [](CrowdConfig& c) { c.weeks = 0; },
                                "weeks must be between 1 and 52, got 0"},
                      BadConfig{"trim_half", [](CrowdConfig& c) { c.trim = 0.5; },
                                "trim must be at least 0 and below 0.5, got 0.5"},
                      BadConfig{"floor_zero", [](CrowdConfig& c) { c.floor = 0; },
                                "floor must be greater than 0 and at most 1000000, got 0"},
                      BadConfig{"factor_one", [](CrowdConfig& c) { c.factor = 1; },
                                "factor must be greater than 1 and at most 1000, got 1"},
                      BadConfig{"factor_nan", [](CrowdConfig& c) { c.factor = std::nan(""); },
                                "factor must be greater than 1 and at most 1000, got nan"},
                      BadConfig{"min_count_zero", [](CrowdConfig& c) { c.min_count = 0; },
                                "min_count must be between 1 and 1000000, got 0"}),
    [](const auto& info) { return info.param.name; });

TEST(CrowdConfig, DefaultsAreValid) { EXPECT_TRUE(CrowdConfig{}.Validate()); }

}  // namespace
}  // namespace lifeline::watch
