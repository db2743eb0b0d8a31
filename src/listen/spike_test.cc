// The spike detector on synthetic series with known answers: a weekly pattern that must not fire,
// real spikes that must, and each rule (history, minimum count, N in a row, cooldown, partial
// hours, the floor, over-dispersion) on its own.
#include "listen/spike.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

namespace lifeline::listen {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// Monday 5 January 2026, 00:00 UTC.
const Hour kStart = Hour(std::chrono::sys_days{std::chrono::year{2026} / 1 / 5});
constexpr hours kWeek{24 * 7};

// A brand's usual posts per hour: busy Monday mornings, office hours on weekdays, quiet nights
// and weekends. `h` is hours since Monday 00:00.
double Usual(long h) {
  const long day = (h / 24) % 7, hod = h % 24;
  const bool night = hod < 7 || hod >= 22;
  if (day >= 5) return night ? 3 : 12;
  if (day == 0 && hod >= 8 && hod < 12) return 200;
  if (hod >= 9 && hod < 18) return 40;
  return night ? 3 : 8;
}

// `weeks` weeks of Poisson counts around Usual(), from kStart.
Series WeeklyPattern(int weeks, unsigned seed = 7) {
  std::mt19937 rng(seed);
  Series s(kStart);
  for (long h = 0; h < weeks * 24L * 7; ++h) {
    std::poisson_distribution<std::int64_t> d(Usual(h));
    s.Add(kStart + hours(h), d(rng));
  }
  return s;
}

// Hour `hod` of day `day` (0 = Monday) of week `week` after kStart.
Hour At(int week, int day, int hod) { return kStart + kWeek * week + hours(24 * day + hod); }

void Set(Series& s, Hour h, std::int64_t n) {
  s.MarkMissing(h);  // clears the hour
  s.Add(h, n);
}

std::vector<Hour> Fired(const std::vector<SpikeDecision>& ds) {
  std::vector<Hour> out;
  for (const auto& d : ds) {
    if (d.fired) out.push_back(d.current.hour);
  }
  return out;
}

TEST(Spike, AStrongWeeklyPatternDoesNotFire) {
  Series s = WeeklyPattern(9);
  const SpikeConfig config;
  const auto ds = Replay(s, At(8, 0, 0), At(9, 0, 0), config);
  ASSERT_EQ(ds.size(), 168u);
  EXPECT_TRUE(Fired(ds).empty());
  // The baseline follows the hour of the week: Monday 09:00 expects ~200, Sunday 09:00 ~12.
  const auto monday = ds[9];
  EXPECT_EQ(monday.current.hour, At(8, 0, 9));
  EXPECT_EQ(monday.current.weeks.size(), 8u);
  EXPECT_NEAR(monday.current.expected, 200, 15);
  EXPECT_EQ(monday.reason, SpikeReason::kNotSignificant);
  EXPECT_NEAR(ds[6 * 24 + 9].current.expected, 12, 4);
  // Not luck of one seed: 50 other weeks of Poisson noise around the same pattern.
  for (unsigned seed = 100; seed < 150; ++seed) {
    const auto other = Replay(WeeklyPattern(9, seed), At(8, 0, 0), At(9, 0, 0), config);
    EXPECT_TRUE(Fired(other).empty()) << "seed " << seed;
  }
}

TEST(Spike, ARealSpikeFiresOnItsSecondHour) {
  Series s = WeeklyPattern(9);
  // Wednesday of the last week, 14:00 and 15:00: 150 more posts than usual (40).
  Set(s, At(8, 2, 14), 190);
  Set(s, At(8, 2, 15), 185);
  const auto ds = Replay(s, At(8, 0, 0), At(9, 0, 0), SpikeConfig{});
  EXPECT_EQ(Fired(ds), std::vector<Hour>{At(8, 2, 15)});
  const SpikeDecision& first = ds[2 * 24 + 14];
  EXPECT_FALSE(first.fired);
  EXPECT_EQ(first.reason, SpikeReason::kNotConsecutive);
  EXPECT_EQ(first.run, 1);
  const SpikeDecision& d = ds[2 * 24 + 15];
  EXPECT_TRUE(d.fired);
  EXPECT_TRUE(d.spiking);
  EXPECT_EQ(d.reason, SpikeReason::kSpike);
  EXPECT_EQ(d.at, At(8, 2, 16));
  EXPECT_EQ(d.run, 2);
  EXPECT_EQ(d.current.observed, 185);
  EXPECT_EQ(d.current.weeks.size(), 8u);
  EXPECT_NEAR(d.current.expected, 40, 6);
  EXPECT_LT(d.current.p_value, 1e-30);
  EXPECT_THAT(d.evidence, HasSubstr("185 posts in 15:00-16:00 UTC against "));
  EXPECT_THAT(d.evidence, HasSubstr("median of the same hour over 8 weeks: "));
  EXPECT_THAT(d.evidence, HasSubstr("2 hours in a row: spike"));
  // Back to normal at 16:00: nothing more.
  EXPECT_FALSE(ds[2 * 24 + 16].spiking);
}

TEST(Spike, ASingleNoisyHourDoesNotFire) {
  Series s = WeeklyPattern(9);
  Set(s, At(8, 2, 14), 190);
  const auto ds = Replay(s, At(8, 0, 0), At(9, 0, 0), SpikeConfig{});
  EXPECT_TRUE(Fired(ds).empty());
  const SpikeDecision& d = ds[2 * 24 + 14];
  EXPECT_TRUE(d.current.unusual());
  EXPECT_FALSE(d.spiking);
  EXPECT_EQ(d.reason, SpikeReason::kNotConsecutive);
  EXPECT_THAT(d.evidence, HasSubstr("unusual, 1 hour in a row of 2 needed"));
  // With consecutive = 1 the same hour fires.
  SpikeConfig eager;
  eager.consecutive = 1;
  EXPECT_EQ(Fired(Replay(s, At(8, 0, 0), At(9, 0, 0), eager)), std::vector<Hour>{At(8, 2, 14)});
}

TEST(Spike, CooldownKeepsASustainedSpikeToOneAlertEveryTwoHours) {
  Series s = WeeklyPattern(9);
  for (int hod = 10; hod <= 15; ++hod) Set(s, At(8, 2, hod), 250);
  const auto ds = Replay(s, At(8, 2, 0), At(8, 3, 0), SpikeConfig{});
  EXPECT_EQ(Fired(ds), (std::vector<Hour>{At(8, 2, 11), At(8, 2, 13), At(8, 2, 15)}));
  const SpikeDecision& quiet = ds[12];
  EXPECT_TRUE(quiet.spiking);
  EXPECT_FALSE(quiet.fired);
  EXPECT_EQ(quiet.reason, SpikeReason::kCooldown);
  ASSERT_TRUE(quiet.cooldown_until.has_value());
  EXPECT_EQ(*quiet.cooldown_until, At(8, 2, 14));  // fired at 12:00 (end of 11:00-12:00) + 2 h
  EXPECT_THAT(quiet.evidence, HasSubstr("already raised at 12:00 UTC (quiet until 14:00 UTC)"));
  // A longer cooldown: one alert for the whole spike.
  SpikeConfig patient;
  patient.cooldown = hours(6);
  EXPECT_EQ(Fired(Replay(s, At(8, 2, 0), At(8, 3, 0), patient)), std::vector<Hour>{At(8, 2, 11)});
}

TEST(Spike, WithoutFourWeeksOfHistoryItNeverFiresAndSaysSo) {
  Series s = WeeklyPattern(4);  // weeks 0-3: hours of week 3 have 3 weeks of history
  for (int hod = 10; hod <= 15; ++hod) Set(s, At(3, 2, hod), 500);
  const auto ds = Replay(s, s.start(), s.end(), SpikeConfig{});
  EXPECT_TRUE(Fired(ds).empty());
  const SpikeDecision& d = ds.back();
  EXPECT_EQ(d.reason, SpikeReason::kNotEnoughHistory);
  EXPECT_EQ(d.current.weeks.size(), 3u);
  const SpikeDecision& spike = ds[3 * 168 + 2 * 24 + 12];
  EXPECT_EQ(spike.current.observed, 500);
  EXPECT_EQ(spike.reason, SpikeReason::kNotEnoughHistory);
  EXPECT_FALSE(spike.spiking);
  EXPECT_EQ(spike.evidence,
            "500 posts in 12:00-13:00 UTC; 3 weeks of history for this hour of the week (4 "
            "needed): not judged");
  // One more week and the same spike fires.
  Series longer = WeeklyPattern(5);
  for (int hod = 10; hod <= 15; ++hod) Set(longer, At(4, 2, hod), 500);
  EXPECT_FALSE(Fired(Replay(longer, At(4, 0, 0), longer.end(), SpikeConfig{})).empty());
}

TEST(Spike, UsesAtMostMaxWeeksAndSkipsWeeksWithoutData) {
  Series s = WeeklyPattern(12);
  const Hour h = At(11, 2, 14);
  Set(s, h - kWeek * 10, 100000);  // beyond 8 weeks: ignored
  EXPECT_EQ(CheckHour(s, h, 1, SpikeConfig{}).weeks.size(), 8u);
  EXPECT_NEAR(CheckHour(s, h, 1, SpikeConfig{}).usual, 40, 6);
  // Five of the eight weeks were not collected: 3 left, not enough.
  for (int k = 2; k <= 6; ++k) s.MarkMissing(h - kWeek * k);
  const HourCheck c = CheckHour(s, h, 1, SpikeConfig{});
  EXPECT_EQ(c.weeks.size(), 3u);
  EXPECT_EQ(c.reason, SpikeReason::kNotEnoughHistory);
  // The hour judged itself was not collected: no data, not a quiet hour.
  s.MarkMissing(h);
  const SpikeDecision d = JudgeSpike(s, h + hours(1), SpikeConfig{}, std::nullopt);
  EXPECT_EQ(d.reason, SpikeReason::kNoData);
  EXPECT_THAT(d.evidence, HasSubstr("no data"));
}

TEST(Spike, APartialHourIsJudgedAgainstItsShareOfTheExpectation) {
  Series s(kStart);
  for (int w = 0; w < 8; ++w) {
    for (int hod = 12; hod <= 14; ++hod) Set(s, At(w, 2, hod), 30);
  }
  Set(s, At(8, 2, 12), 30);
  Set(s, At(8, 2, 13), 30);
  Set(s, At(8, 2, 14), 30);  // 30 posts in the first 20 minutes: the usual rate is 30 an hour
  const TimePoint now = At(8, 2, 14) + minutes(20);
  SpikeConfig config;
  config.consecutive = 1;
  // Complete hours only: 13:00-14:00 is judged, and it is usual.
  const SpikeDecision whole = JudgeSpike(s, now, config, std::nullopt);
  EXPECT_EQ(whole.current.hour, At(8, 2, 13));
  EXPECT_EQ(whole.reason, SpikeReason::kNotSignificant);
  // The hour in progress: a third of it elapsed, so 10 expected; P(X >= 30 | 10) ~ 2.5e-7.
  config.judge_partial_hour = true;
  const SpikeDecision partial = JudgeSpike(s, now, config, std::nullopt);
  EXPECT_EQ(partial.current.hour, At(8, 2, 14));
  EXPECT_NEAR(partial.current.fraction, 1.0 / 3, 1e-9);
  EXPECT_NEAR(partial.current.expected, 10, 1e-9);
  EXPECT_NEAR(partial.current.p_value, 2.51e-7, 0.01e-7);
  EXPECT_TRUE(partial.fired);
  EXPECT_THAT(partial.evidence,
              HasSubstr("30 posts in the first 20 min of 14:00-15:00 UTC against 10 expected "
                        "(33% of median of the same hour over 8 weeks: 30 30 30 30 30 30 30 30)"));
  // Too early in the hour (5 of the 10 minutes needed): the last complete hour again.
  EXPECT_EQ(JudgeSpike(s, At(8, 2, 14) + minutes(5), config, std::nullopt).current.hour,
            At(8, 2, 13));
  // With two hours in a row needed, the complete hour before must be unusual too.
  config.consecutive = 2;
  EXPECT_EQ(JudgeSpike(s, now, config, std::nullopt).reason, SpikeReason::kNotConsecutive);
  Set(s, At(8, 2, 13), 90);
  EXPECT_TRUE(JudgeSpike(s, now, config, std::nullopt).fired);
}

TEST(Spike, AZeroBaselineIsFlooredSoAFewPostsAreNotASpike) {
  Series s(kStart);
  s.ExtendTo(At(8, 2, 16));  // eight weeks without a single post
  Set(s, At(8, 2, 14), 3);
  Set(s, At(8, 2, 15), 3);
  SpikeDecision d = JudgeSpike(s, At(8, 2, 16), SpikeConfig{}, std::nullopt);
  EXPECT_EQ(d.current.usual, 0);
  EXPECT_EQ(d.current.expected, 2);  // the floor, not 0 (which would make p = 0 for any post)
  EXPECT_GT(d.current.p_value, 0);
  EXPECT_EQ(d.reason, SpikeReason::kBelowMinCount);
  EXPECT_THAT(d.evidence, HasSubstr("counted as 2"));
  EXPECT_THAT(d.evidence, HasSubstr("below the minimum of 10 to judge"));
  // 12 and 12: P(X >= 12 | 2) ~ 1.4e-6, at least 10, 6x: a spike.
  Set(s, At(8, 2, 14), 12);
  Set(s, At(8, 2, 15), 12);
  d = JudgeSpike(s, At(8, 2, 16), SpikeConfig{}, std::nullopt);
  EXPECT_NEAR(d.current.p_value, 1.365e-6, 0.001e-6);
  EXPECT_TRUE(d.fired);
}

TEST(Spike, HighVolumeNeedsARatioNotJustASmallPValue) {
  // 1000 posts an hour, 10% up or down from week to week: more than Poisson chance allows.
  Series s(kStart);
  const std::int64_t weeks[] = {900, 1100, 950, 1050, 1000, 920, 1080, 1000};
  for (int w = 0; w < 8; ++w) {
    Set(s, At(w, 2, 14), weeks[w]);
    Set(s, At(w, 2, 15), weeks[w]);
  }
  Set(s, At(8, 2, 14), 1150);
  Set(s, At(8, 2, 15), 1160);
  SpikeDecision d = JudgeSpike(s, At(8, 2, 16), SpikeConfig{}, std::nullopt);
  EXPECT_LT(d.current.p_value, 1e-4);  // Poisson alone would call it a spike
  EXPECT_EQ(d.reason, SpikeReason::kBelowRatio);
  EXPECT_FALSE(d.fired);
  EXPECT_THAT(d.evidence, HasSubstr("but only 1.16x the expected, below 1.5x: usual variation"));
  Set(s, At(8, 2, 14), 2400);
  Set(s, At(8, 2, 15), 2600);
  EXPECT_TRUE(JudgeSpike(s, At(8, 2, 16), SpikeConfig{}, std::nullopt).fired);
}

TEST(Spike, TheMedianIgnoresAnEarlierOutageInTheBaseline) {
  // Four weeks ago the same hour had an outage (400 posts): the mean of the weeks (~85) would
  // hide today's 130; the median (40) does not.
  Series s(kStart);
  const std::int64_t weeks[] = {40, 38, 42, 400, 41, 39, 40, 40};  // newest first
  for (int k = 1; k <= 8; ++k) {
    Set(s, At(8 - k, 2, 14), weeks[k - 1]);
    Set(s, At(8 - k, 2, 15), weeks[k - 1]);
  }
  Set(s, At(8, 2, 14), 130);
  Set(s, At(8, 2, 15), 130);
  const SpikeDecision d = JudgeSpike(s, At(8, 2, 16), SpikeConfig{}, std::nullopt);
  EXPECT_EQ(d.current.weeks, (std::vector<std::int64_t>{40, 38, 42, 400, 41, 39, 40, 40}));
  EXPECT_EQ(d.current.usual, 40);
  EXPECT_TRUE(d.fired);
}

TEST(Spike, ConfigValidationNamesTheFieldAndRange) {
  EXPECT_TRUE(SpikeConfig{}.Validate().ok());
  SpikeConfig c;
  c.alpha = 2;
  EXPECT_EQ(c.Validate().error().message(), "alpha must be greater than 0 and at most 0.5, got 2");
  c = SpikeConfig{};
  c.max_weeks = 3;
  EXPECT_EQ(c.Validate().error().message(),
            "max_weeks must be between min_weeks (4) and 52, got 3");
  c = SpikeConfig{};
  c.consecutive = 0;
  EXPECT_EQ(c.Validate().error().message(), "consecutive must be between 1 and 24, got 0");
  c = SpikeConfig{};
  c.floor = 0;
  EXPECT_EQ(c.Validate().error().message(),
            "floor must be greater than 0 and at most 1000000, got 0");
  c = SpikeConfig{};
  c.cooldown = minutes(-5);
  EXPECT_EQ(c.Validate().error().message(),
            "cooldown must be between 0 and 10080 min (7 days), got -5 min");
  EXPECT_EQ(SpikeReasonName(SpikeReason::kNotEnoughHistory), "not_enough_history");
}

TEST(Series, CountsHoursFromItsStartAndKeepsMissingHoursApart) {
  Series s(kStart);
  EXPECT_FALSE(s.Count(kStart).has_value());  // nothing covered yet
  EXPECT_TRUE(s.Add(kStart + minutes(59)));
  EXPECT_TRUE(s.Add(kStart + hours(3) + minutes(1), 4));
  EXPECT_EQ(s.Count(kStart), 1);
  EXPECT_EQ(s.Count(kStart + hours(1)), 0);  // covered, nothing came
  EXPECT_EQ(s.Count(kStart + hours(3)), 4);
  EXPECT_FALSE(s.Count(kStart + hours(4)).has_value());
  EXPECT_FALSE(s.Add(kStart - minutes(1)));  // before collection began: ignored
  EXPECT_FALSE(s.Count(kStart - hours(1)).has_value());
  s.MarkMissing(kStart + hours(1));
  EXPECT_FALSE(s.Count(kStart + hours(1)).has_value());
  s.ExtendTo(kStart + hours(10));
  EXPECT_EQ(s.end(), kStart + hours(10));
  EXPECT_EQ(s.Count(kStart + hours(9)), 0);
  EXPECT_TRUE(s.Add(kStart + hours(1), 2));  // a late post for a missing hour makes it count
  EXPECT_EQ(s.Count(kStart + hours(1)), 2);
  EXPECT_EQ(HourOf(kStart + minutes(90)), kStart + hours(1));
}

}  // namespace
}  // namespace lifeline::listen
