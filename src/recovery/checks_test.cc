// The recovery checks on synthetic campaigns with known answers: a normal day with a weekly
// pattern is not flagged (any day, any hour), a catch-up burst is, a stall is, a quiet night is
// not, a campaign switched on but not serving is, and too little history is not judged.
#include "recovery/checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace lifeline::recovery {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using namespace std::chrono_literals;

// 2026-10-31 is a Saturday; the grid starts there.
const sys_days kFirstDay = sys_days{std::chrono::year{2026} / 10 / 31};
constexpr int kDays = 36;

// A deterministic noise in [-amp, +amp].
class Noise {
 public:
  explicit Noise(std::uint64_t seed) : s_(seed) {}
  double Next(double amp) {
    s_ = s_ * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(s_ >> 11) / static_cast<double>(1ULL << 53);
    return (2 * u - 1) * amp;
  }

 private:
  std::uint64_t s_;
};

// Impressions of a normal hour: a daily curve (quiet nights, busy evenings) and a weekly one
// (weekends at 60 %).
double NormalImpressions(std::size_t slot) {
  static const double kCurve[24] = {40,  20,   10,   3,    3,    10,  80,  300,
                                    600, 800,  900,  950,  1000, 950, 900, 900,
                                    950, 1100, 1300, 1400, 1200, 800, 400, 120};
  const std::size_t day = slot / 24;  // day 0 is a Saturday
  const bool weekend = day % 7 == 0 || day % 7 == 1;
  return kCurve[slot % 24] * (weekend ? 0.6 : 1.0);
}

double DailyImpressions(bool weekend) {
  double sum = 0;
  for (std::size_t h = 0; h < 24; ++h) sum += NormalImpressions((weekend ? 0 : 2) * 24 + h);
  return sum;
}

// A campaign of kDays normal days: +-15 % noise on impressions, CPM 4.00 +-10 %, CTR 1 %.
Series NormalSeries(std::uint64_t seed = 7) {
  Series s;
  s.first_day = kFirstDay;
  Noise noise(seed);
  for (std::size_t i = 0; i < kDays * 24; ++i) {
    HourFigures h;
    h.present = true;
    h.impressions = std::round(NormalImpressions(i) * (1 + noise.Next(0.15)));
    h.spend = h.impressions / 1000 * 4.0 * (1 + noise.Next(0.10));
    h.clicks = std::round(h.impressions * 0.01 * (1 + noise.Next(0.3)));
    s.slots.push_back(h);
  }
  return s;
}

// A check of hours [from, to) of `day` (day >= 28: four prior weeks), judged up to `to`.
CheckInput Window(Series s, int day, int from, int to, std::string kind = "meta") {
  CheckInput in;
  in.series = std::move(s);
  in.window_begin = static_cast<std::size_t>(day * 24 + from);
  in.window_end = static_cast<std::size_t>(day * 24 + to);
  in.judge_from = in.window_begin;
  in.judge_until = in.window_end;
  in.state.platform_kind = std::move(kind);
  in.state.name = "Winter sale";
  in.state.currency = "USD";
  in.state.effective_status = "ACTIVE";
  // A daily budget the normal weekday spends (about 4.00 per 1,000 impressions).
  in.state.daily_budget = DailyImpressions(false) / 1000 * 4.0;
  return in;
}

bool Has(const CampaignCheck& c, FlagKind k) {
  return std::any_of(c.flags.begin(), c.flags.end(), [&](const Flag& f) { return f.kind == k; });
}

std::string Describe(const CampaignCheck& c) {
  std::string out = std::string(VerdictName(c.verdict)) + ": " + c.sentence;
  for (const MetricResult& m : c.metrics) {
    for (const HourResult& h : m.hours) {
      if (h.judgement.side != Side::kNone) {
        out += "\n  " + std::string(MetricName(m.metric)) + " " + h.hour +
               " actual=" + std::to_string(h.actual.value_or(-1)) +
               " expected=" + std::to_string(h.judgement.expected) +
               " z=" + std::to_string(h.judgement.z);
      }
    }
  }
  return out;
}

TEST(RecoveryChecks, ANormalDayWithAWeeklyPatternIsNotFlaggedAtAnyHour) {
  // Every hour of eight days (weekdays and the weekend, whose level is 60 % of a weekday's), with
  // three different noise draws: nothing is out of line, and each expectation follows the pattern.
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const Series s = NormalSeries(seed);
    for (int day = 28; day < kDays; ++day) {
      CampaignCheck c = Check(Window(s, day, 0, 24));
      ASSERT_EQ(c.verdict, Verdict::kOk) << "day " << day << " seed " << seed << "\n"
                                         << Describe(c);
      EXPECT_TRUE(c.flags.empty());
      EXPECT_EQ(c.judged_hours, 24);
      EXPECT_EQ(c.history_weeks, 4);
      // The 18:00 expectation is the weekday's 1,300 or the weekend's 780 (within the noise).
      const HourResult& six_pm = c.metrics[1].hours[18];
      const double normal = NormalImpressions(static_cast<std::size_t>(day * 24 + 18));
      EXPECT_NEAR(six_pm.judgement.expected, normal, normal * 0.15) << six_pm.hour;
      EXPECT_LE(six_pm.judgement.low, *six_pm.actual);
      EXPECT_GE(six_pm.judgement.high, *six_pm.actual);
    }
  }
}

TEST(RecoveryChecks, ACatchUpBurstIsFlagged) {
  // Restored at 10:00 on a Monday; the platform then spends 6x its usual amount for six hours.
  for (const char* kind : {"meta", "google", "tiktok"}) {
    Series s = NormalSeries();
    const int day = 30;  // a Monday
    for (int h = 10; h < 16; ++h) {
      HourFigures& f = s.slots[static_cast<std::size_t>(day * 24 + h)];
      f.spend *= 6;
      f.impressions *= 3;
    }
    CampaignCheck c = Check(Window(s, day, 10, 16, kind));
    EXPECT_EQ(c.verdict, Verdict::kAttention) << kind << ": " << Describe(c);
    EXPECT_TRUE(Has(c, FlagKind::kCatchUpBurst)) << kind << ": " << Describe(c);
    EXPECT_EQ(c.metrics[0].high_hours, 6) << kind;
    ASSERT_EQ(c.days.size(), 1u);
    EXPECT_GT(c.days[0].spent, c.days[0].cap) << kind;
    EXPECT_NE(c.sentence.find("has spent"), std::string::npos) << c.sentence;
  }
}

TEST(RecoveryChecks, ABurstOnPaceToPassTheAllowanceIsFlaggedBeforeItDoes) {
  // Three hours at 3x (same CPM): the day's spend is still under the cap, its pace is not.
  for (const char* kind : {"meta", "google"}) {
    Series s = NormalSeries();
    const int day = 30;
    for (int h = 10; h < 13; ++h) {
      HourFigures& f = s.slots[static_cast<std::size_t>(day * 24 + h)];
      f.spend *= 3;
      f.impressions *= 3;
    }
    CheckInput in = Window(s, day, 10, 16, kind);
    in.judge_until = in.window_begin + 3;
    CampaignCheck c = Check(in);
    ASSERT_TRUE(Has(c, FlagKind::kCatchUpBurst)) << kind << ": " << Describe(c);
    ASSERT_EQ(c.days.size(), 1u);
    EXPECT_LT(c.days[0].spent, c.days[0].cap) << kind;
    EXPECT_GT(c.days[0].projected, c.days[0].cap) << kind;
    EXPECT_NE(c.sentence.find("spending fast"), std::string::npos) << c.sentence;
    EXPECT_FALSE(Has(c, FlagKind::kCpmJump)) << Describe(c);
  }
}

TEST(RecoveryChecks, SpendAlreadyOverTheAllowanceIsFlaggedEvenAtAnOrdinaryPace) {
  Series s = NormalSeries();
  const int day = 30;
  // The morning before the window already spent twice the daily budget.
  s.slots[static_cast<std::size_t>(day * 24 + 8)].spend += 2 * DailyImpressions(false) / 1000 * 4;
  CampaignCheck c = Check(Window(s, day, 10, 16, "meta"));
  EXPECT_TRUE(Has(c, FlagKind::kCatchUpBurst)) << Describe(c);
  EXPECT_NE(c.sentence.find("has spent"), std::string::npos) << c.sentence;
  EXPECT_NE(c.sentence.find("75 % over"), std::string::npos) << c.sentence;
}

TEST(RecoveryChecks, AStallIsFlagged) {
  Series s = NormalSeries();
  const int day = 31;  // a Tuesday
  for (int h = 10; h < 16; ++h) {
    s.slots[static_cast<std::size_t>(day * 24 + h)] = HourFigures{0, 0, 0, false};
  }
  CampaignCheck c = Check(Window(s, day, 10, 16));
  EXPECT_EQ(c.verdict, Verdict::kAttention);
  ASSERT_TRUE(Has(c, FlagKind::kDeliveryStuck)) << Describe(c);
  EXPECT_NE(c.sentence.find("showed no ads from 10:00"), std::string::npos) << c.sentence;
  EXPECT_EQ(c.metrics[1].low_hours, 6);
}

TEST(RecoveryChecks, OneEmptyBusyHourIsAStallButAQuietNightIsNot) {
  Series s = NormalSeries();
  const int day = 31;
  s.slots[static_cast<std::size_t>(day * 24 + 11)] = HourFigures{0, 0, 0, true};
  EXPECT_TRUE(Has(Check(Window(s, day, 10, 13)), FlagKind::kDeliveryStuck));
  // 03:00 and 04:00 expect about 3 impressions: none is no news.
  Series night = NormalSeries();
  for (int h = 3; h < 5; ++h) {
    night.slots[static_cast<std::size_t>(day * 24 + h)] = HourFigures{0, 0, 0, true};
  }
  CampaignCheck c = Check(Window(night, day, 3, 5));
  EXPECT_FALSE(Has(c, FlagKind::kDeliveryStuck)) << Describe(c);
  EXPECT_EQ(c.verdict, Verdict::kOk) << Describe(c);
}

TEST(RecoveryChecks, HalfTheUsualDeliveryIsBelowExpected) {
  Series s = NormalSeries();
  const int day = 32;
  for (int h = 10; h < 16; ++h) {
    HourFigures& f = s.slots[static_cast<std::size_t>(day * 24 + h)];
    f.impressions = std::round(f.impressions * 0.3);
    f.spend *= 0.3;
  }
  CampaignCheck c = Check(Window(s, day, 10, 16));
  EXPECT_TRUE(Has(c, FlagKind::kBelowExpected)) << Describe(c);
  EXPECT_FALSE(Has(c, FlagKind::kDeliveryStuck));
}

TEST(RecoveryChecks, ACpmJumpIsFlagged) {
  Series s = NormalSeries();
  const int day = 32;
  for (int h = 12; h < 14; ++h) s.slots[static_cast<std::size_t>(day * 24 + h)].spend *= 3;
  CampaignCheck c = Check(Window(s, day, 10, 16));
  EXPECT_TRUE(Has(c, FlagKind::kCpmJump)) << Describe(c);
  EXPECT_EQ(c.metrics[3].high_hours, 2);
}

TEST(RecoveryChecks, ResumedButNotServingIsFlaggedAfterTheGrace) {
  CheckInput in = Window(NormalSeries(), 30, 10, 16);
  in.state.serving = false;
  in.state.effective_status = "WITH_ISSUES";
  in.state.issues = {"Payment method declined (1815)"};
  in.since_resume = 60min;
  CampaignCheck c = Check(in);
  ASSERT_TRUE(Has(c, FlagKind::kResumedNotServing)) << Describe(c);
  EXPECT_EQ(c.verdict, Verdict::kAttention);
  EXPECT_NE(c.sentence.find("WITH_ISSUES"), std::string::npos) << c.sentence;
  EXPECT_NE(c.sentence.find("Payment method declined"), std::string::npos) << c.sentence;
  // Five minutes after the resume the status may still lag: a note, not a flag.
  in.since_resume = 5min;
  c = Check(in);
  EXPECT_FALSE(Has(c, FlagKind::kResumedNotServing));
  EXPECT_NE(c.sentence.find("look again in a few minutes"), std::string::npos) << c.sentence;
  // Without history the status is still judged.
  in.since_resume = std::nullopt;
  in.series.slots.erase(in.series.slots.begin(), in.series.slots.begin() + 14 * 24);
  in.series.first_day += days(14);
  in.window_begin -= 14 * 24;
  in.window_end -= 14 * 24;
  in.judge_from = in.window_begin;
  in.judge_until = in.window_end;
  c = Check(in);
  EXPECT_TRUE(Has(c, FlagKind::kResumedNotServing));
}

TEST(RecoveryChecks, TooLittleHistoryIsNotJudged) {
  CheckInput in = Window(NormalSeries(), 30, 10, 16);
  // The campaign started 10 days ago: only one prior week has figures.
  for (std::size_t i = 0; i < 20 * 24; ++i) in.series.slots[i] = HourFigures{};
  CampaignCheck c = Check(in);
  EXPECT_EQ(c.verdict, Verdict::kNotJudged);
  EXPECT_EQ(c.history_weeks, 1);
  EXPECT_TRUE(c.flags.empty());
  EXPECT_NE(c.sentence.find("only 1 of the last 4 weeks"), std::string::npos) << c.sentence;
}

TEST(RecoveryChecks, HoursNotFinalArePendingAndASwitchedOffCampaignIsNotJudged) {
  CheckInput in = Window(NormalSeries(), 30, 10, 16);
  in.judge_until = in.window_begin;
  CampaignCheck c = Check(in);
  EXPECT_EQ(c.verdict, Verdict::kPending);
  EXPECT_EQ(c.pending_hours, 6);
  in.judge_until = in.window_begin + 2;
  c = Check(in);
  EXPECT_EQ(c.judged_hours, 2);
  EXPECT_EQ(c.pending_hours, 4);
  in.state.active = false;
  c = Check(in);
  EXPECT_EQ(c.verdict, Verdict::kNotJudged);
  EXPECT_TRUE(c.metrics.empty());
}

TEST(RecoveryChecks, SlotLabelsAreLocalWallClockHours) {
  EXPECT_EQ(SlotLabel(kFirstDay, 0), "2026-10-31T00:00");
  EXPECT_EQ(SlotLabel(kFirstDay, 24 + 13), "2026-11-01T13:00");
  EXPECT_EQ(OverdeliveryAllowance("meta"), 0.75);
  EXPECT_EQ(OverdeliveryAllowance("google"), 1.0);
  EXPECT_FALSE(OverdeliveryAllowance("myspace").has_value());
}

}  // namespace
}  // namespace lifeline::recovery
