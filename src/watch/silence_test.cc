// Tests for maintenance windows and silences: validation messages, one-off and weekly windows
// (past midnight, across the week's end, several days long, overlapping), scope and messages.
#include "watch/silence.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::watch {
namespace {

using namespace std::chrono_literals;
using std::chrono::Friday;
using std::chrono::Monday;
using std::chrono::Sunday;
using std::chrono::Tuesday;

// 2026-11-24 is a Tuesday.
constexpr std::chrono::sys_days kTuesday{std::chrono::year{2026} / 11 / 24};

TimePoint Tue(std::chrono::minutes m) { return kTuesday + m; }

Silence OneOff(TimePoint start, TimePoint end) {
  return Silence{.name = "upgrade", .platforms = {"instagram"}, .start = start, .end = end};
}

Silence Weekly(std::vector<std::chrono::weekday> days, std::chrono::minutes start,
               std::chrono::minutes duration) {
  return Silence{.name = "weekly",
                 .domains = {"meta"},
                 .weekly = WeeklyRecurrence{.days = days, .start = start, .duration = duration}};
}

struct WindowCase {
  std::string name;
  Silence silence;
  TimePoint at;
  std::optional<TimePoint> until;
};

void PrintTo(const WindowCase& c, std::ostream* os) { *os << c.name; }

class WindowTest : public ::testing::TestWithParam<WindowCase> {};

TEST_P(WindowTest, ActiveUntil) {
  const auto& c = GetParam();
  ASSERT_TRUE(c.silence.Validate());
  auto got = c.silence.ActiveUntil(c.at);
  ASSERT_EQ(got.has_value(), c.until.has_value()) << core::FormatTime(c.at);
  if (got) {
    EXPECT_EQ(core::FormatTime(*got), core::FormatTime(*c.until));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Silences, WindowTest,
    ::testing::Values(
        WindowCase{"one_off_before", OneOff(Tue(2h), Tue(4h)), Tue(2h) - 1s, std::nullopt},
        WindowCase{"one_off_at_start", OneOff(Tue(2h), Tue(4h)), Tue(2h), Tue(4h)},
        WindowCase{"one_off_inside", OneOff(Tue(2h), Tue(4h)), Tue(3h), Tue(4h)},
        WindowCase{"one_off_end_is_exclusive", OneOff(Tue(2h), Tue(4h)), Tue(4h), std::nullopt},
        WindowCase{"weekly_before", Weekly({Tuesday}, 2h, 2h), Tue(2h) - 1min, std::nullopt},
        WindowCase{"weekly_at_start", Weekly({Tuesday}, 2h, 2h), Tue(2h), Tue(4h)},
        WindowCase{"weekly_end_is_exclusive", Weekly({Tuesday}, 2h, 2h), Tue(4h), std::nullopt},
        WindowCase{"weekly_other_day", Weekly({Tuesday}, 2h, 2h), Tue(24h + 3h), std::nullopt},
        WindowCase{"weekly_next_week", Weekly({Tuesday}, 2h, 2h), Tue(7 * 24h + 3h),
                   Tue(7 * 24h + 4h)},
        WindowCase{"weekly_weeks_ago", Weekly({Tuesday}, 2h, 2h), Tue(-14 * 24h + 2h),
                   Tue(-14 * 24h + 4h)},
        // Monday 23:00 for 3 hours covers Tuesday 01:00.
        WindowCase{"past_midnight", Weekly({Monday}, 23h, 3h), Tue(1h), Tue(2h)},
        // Sunday 23:00 for 3 hours, seen from Monday 01:00 (the week's end in C++ terms).
        WindowCase{"across_the_weeks_end", Weekly({Sunday}, 23h, 3h), Tue(-24h + 1h),
                   Tue(-24h + 2h)},
        // Friday 18:00 to Monday 06:00, seen on Sunday at noon.
        WindowCase{"a_whole_weekend", Weekly({Friday}, 18h, 60h), Tue(-2 * 24h + 12h),
                   Tue(-24h + 6h)},
        // Monday and Tuesday 00:00 for 36 hours overlap on Tuesday morning: the later end wins.
        WindowCase{"overlapping_takes_the_later_end", Weekly({Monday, Tuesday}, 0h, 36h), Tue(6h),
                   Tue(36h)},
        WindowCase{"seven_days_long", Weekly({Tuesday}, 0h, 7 * 24h), Tue(7 * 24h - 1min),
                   Tue(7 * 24h)},
        // A week-long weekly window never lets go: at its end the next one begins.
        WindowCase{"seven_days_long_rolls_over", Weekly({Tuesday}, 0h, 7 * 24h), Tue(7 * 24h),
                   Tue(14 * 24h)}),
    [](const auto& info) { return info.param.name; });

struct BadSilence {
  std::string name;
  Silence silence;
  std::string message;
};

void PrintTo(const BadSilence& c, std::ostream* os) { *os << c.name; }

class ValidateTest : public ::testing::TestWithParam<BadSilence> {};

TEST_P(ValidateTest, SaysWhatIsWrong) {
  auto s = GetParam().silence.Validate();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().message(), GetParam().message);
}

Silence With(std::function<void(Silence&)> change) {
  Silence s = Weekly({Tuesday}, 2h, 2h);
  change(s);
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    Silences, ValidateTest,
    ::testing::Values(
        BadSilence{"no_name", With([](Silence& s) { s.name.clear(); }),
                   "silence name must not be empty"},
        BadSilence{"no_scope", With([](Silence& s) { s.domains.clear(); }),
                   "silence 'weekly': platforms or domains must name at least one platform or "
                   "domain"},
        BadSilence{"both_kinds", With([](Silence& s) { s.start = Tue(0h); }),
                   "silence 'weekly': set either start and end (one-off) or weekly (recurring), "
                   "not both"},
        BadSilence{"neither_kind", With([](Silence& s) { s.weekly.reset(); }),
                   "silence 'weekly': set either start and end (one-off) or weekly (recurring), "
                   "not both"},
        BadSilence{"start_without_end", With([](Silence& s) {
                     s.weekly.reset();
                     s.start = Tue(0h);
                   }),
                   "silence 'weekly': a one-off window needs both start and end"},
        BadSilence{"end_before_start", With([](Silence& s) {
                     s.weekly.reset();
                     s.start = Tue(2h);
                     s.end = Tue(1h);
                   }),
                   "silence 'weekly': end (2026-11-24T01:00:00Z) must be after start "
                   "(2026-11-24T02:00:00Z)"},
        BadSilence{"no_days", With([](Silence& s) { s.weekly->days.clear(); }),
                   "silence 'weekly': weekly.days must list at least one day"},
        BadSilence{"bad_day", With([](Silence& s) { s.weekly->days = {std::chrono::weekday{9}}; }),
                   "silence 'weekly': weekly.days holds an invalid day of the week"},
        BadSilence{"start_past_midnight", With([](Silence& s) { s.weekly->start = 24h; }),
                   "silence 'weekly': weekly.start must be between 00:00 and 23:59, got 1440 min"},
        BadSilence{"zero_duration", With([](Silence& s) { s.weekly->duration = 0min; }),
                   "silence 'weekly': weekly.duration must be between 1 min and 10080 min (7 "
                   "days), got 0 min"},
        BadSilence{"longer_than_a_week", With([](Silence& s) { s.weekly->duration = 169h; }),
                   "silence 'weekly': weekly.duration must be between 1 min and 10080 min (7 "
                   "days), got 10140 min"},
        BadSilence{"unknown_zone", With([](Silence& s) { s.weekly->zone = "Europe/Berln"; }),
                   "silence 'weekly': weekly.zone: unknown time zone 'Europe/Berln' (an IANA "
                   "name such as Europe/Berlin, America/New_York or UTC)"},
        BadSilence{"abbreviation_is_not_a_zone", With([](Silence& s) { s.weekly->zone = "CEST"; }),
                   "silence 'weekly': weekly.zone: unknown time zone 'CEST' (an IANA name such "
                   "as Europe/Berlin, America/New_York or UTC)"}),
    [](const auto& info) { return info.param.name; });

// Weekly windows in a named zone: wall-clock days and times there, daylight saving included.
Silence Zoned(std::vector<std::chrono::weekday> days, std::chrono::minutes start,
              std::chrono::minutes duration, std::string zone) {
  Silence s = Weekly(std::move(days), start, duration);
  s.weekly->zone = std::move(zone);
  return s;
}

TimePoint Utc(std::chrono::year_month_day day, std::chrono::minutes m) {
  return std::chrono::sys_days(day) + m;
}

using std::chrono::Saturday;
using std::chrono::year;
constexpr auto y2026 = year{2026};
constexpr auto y2027 = year{2027};

INSTANTIATE_TEST_SUITE_P(
    Zones, WindowTest,
    ::testing::Values(
        // Monday 02:00 for 60 minutes in Berlin: 01:00Z in winter (CET, UTC+1) ...
        WindowCase{"berlin_winter", Zoned({Monday}, 2h, 60min, "Europe/Berlin"),
                   Utc(y2026 / 11 / 30, 1h), Utc(y2026 / 11 / 30, 2h)},
        WindowCase{"berlin_winter_before", Zoned({Monday}, 2h, 60min, "Europe/Berlin"),
                   Utc(y2026 / 11 / 30, 59min), std::nullopt},
        // ... and 00:00Z in summer (CEST, UTC+2).
        WindowCase{"berlin_summer", Zoned({Monday}, 2h, 60min, "Europe/Berlin"),
                   Utc(y2026 / 6 / 29, 0h), Utc(y2026 / 6 / 29, 1h)},
        WindowCase{"berlin_summer_after", Zoned({Monday}, 2h, 60min, "Europe/Berlin"),
                   Utc(y2026 / 6 / 29, 1h), std::nullopt},
        // Clocks go forward on Sunday 28 March 2027: the Monday before at 01:00Z, after at 00:00Z.
        WindowCase{"berlin_monday_before_spring_forward",
                   Zoned({Monday}, 2h, 60min, "Europe/Berlin"), Utc(y2027 / 3 / 22, 1h + 30min),
                   Utc(y2027 / 3 / 22, 2h)},
        WindowCase{"berlin_monday_after_spring_forward",
                   Zoned({Monday}, 2h, 60min, "Europe/Berlin"), Utc(y2027 / 3 / 29, 30min),
                   Utc(y2027 / 3 / 29, 1h)},
        WindowCase{"berlin_monday_after_spring_forward_not_an_hour_later",
                   Zoned({Monday}, 2h, 60min, "Europe/Berlin"), Utc(y2027 / 3 / 29, 1h + 30min),
                   std::nullopt},
        // Clocks go back on Sunday 25 October 2026: the Monday before at 00:00Z, after at 01:00Z.
        WindowCase{"berlin_monday_before_fall_back", Zoned({Monday}, 2h, 60min, "Europe/Berlin"),
                   Utc(y2026 / 10 / 19, 30min), Utc(y2026 / 10 / 19, 1h)},
        WindowCase{"berlin_monday_after_fall_back", Zoned({Monday}, 2h, 60min, "Europe/Berlin"),
                   Utc(y2026 / 10 / 26, 1h + 30min), Utc(y2026 / 10 / 26, 2h)},
        // Sunday 02:30 does not exist on 28 March 2027 (02:00 -> 03:00): starts at 03:00 CEST.
        WindowCase{"start_in_the_gap", Zoned({Sunday}, 2h + 30min, 60min, "Europe/Berlin"),
                   Utc(y2027 / 3 / 28, 1h), Utc(y2027 / 3 / 28, 2h)},
        WindowCase{"start_in_the_gap_not_before",
                   Zoned({Sunday}, 2h + 30min, 60min, "Europe/Berlin"), Utc(y2027 / 3 / 28, 59min),
                   std::nullopt},
        // Sunday 02:30 happens twice on 25 October 2026: the first (CEST, 00:30Z) counts.
        WindowCase{"start_twice", Zoned({Sunday}, 2h + 30min, 60min, "Europe/Berlin"),
                   Utc(y2026 / 10 / 25, 30min), Utc(y2026 / 10 / 25, 1h + 30min)},
        // Saturday 23:00 for 5 hours across the spring change: elapsed time, 22:00Z to 03:00Z.
        WindowCase{"duration_is_elapsed_time_across_the_change",
                   Zoned({Saturday}, 23h, 5h, "Europe/Berlin"), Utc(y2027 / 3 / 28, 2h + 59min),
                   Utc(y2027 / 3 / 28, 3h)},
        // Monday 00:30 in Tokyo (UTC+9) is Sunday 15:30Z: the zone's days, not UTC's.
        WindowCase{"local_day_is_not_the_utc_day", Zoned({Monday}, 30min, 30min, "Asia/Tokyo"),
                   Utc(y2026 / 11 / 29, 15h + 45min), Utc(y2026 / 11 / 29, 16h)},
        // Tuesday 09:00 in New York in November (EST, UTC-5) is 14:00Z.
        WindowCase{"new_york", Zoned({Tuesday}, 9h, 30min, "America/New_York"),
                   Utc(y2026 / 11 / 24, 14h), Utc(y2026 / 11 / 24, 14h + 30min)}),
    [](const auto& info) { return info.param.name; });

TEST(Silence, TheDatesOfTheZoneCasesAreTheDaysTheySay) {
  using std::chrono::weekday;
  EXPECT_EQ(weekday(std::chrono::sys_days(y2026 / 11 / 30)), Monday);
  EXPECT_EQ(weekday(std::chrono::sys_days(y2026 / 6 / 29)), Monday);
  EXPECT_EQ(weekday(std::chrono::sys_days(y2027 / 3 / 28)), Sunday);
  EXPECT_EQ(weekday(std::chrono::sys_days(y2026 / 10 / 25)), Sunday);
  EXPECT_EQ(weekday(std::chrono::sys_days(y2026 / 11 / 29)), Sunday);
}

TEST(Silence, TimeZones) {
  EXPECT_TRUE(CheckTimeZone("UTC"));
  EXPECT_TRUE(CheckTimeZone("Europe/Berlin"));
  EXPECT_TRUE(CheckTimeZone("US/Eastern")) << "links count";
  EXPECT_FALSE(CheckTimeZone("Mars/Olympus_Mons"));
  auto names = TimeZoneNames();
  EXPECT_NE(std::find(names.begin(), names.end(), "Europe/Berlin"), names.end());
}

TEST(Silence, ValidExamples) {
  EXPECT_TRUE(OneOff(Tue(0h), Tue(1h)).Validate());
  EXPECT_TRUE(Weekly({Tuesday, Sunday}, 0h, 1min).Validate());
  auto etc = Weekly({Tuesday}, 0h, 1h);
  etc.weekly->zone = "Etc/UTC";
  EXPECT_TRUE(etc.Validate());
}

TEST(Silence, CoversPlatformsAndDomains) {
  Silence s{.name = "s", .platforms = {"x"}, .domains = {"meta"}};
  EXPECT_TRUE(s.Covers("x", ""));
  EXPECT_TRUE(s.Covers("instagram", "meta"));
  EXPECT_FALSE(s.Covers("tiktok", "bytedance"));
  EXPECT_FALSE(s.Covers("y", ""));
  Silence empty_domain{.name = "s", .domains = {""}};
  EXPECT_FALSE(empty_domain.Covers("y", ""));  // "no domain" is not a domain
}

TEST(Silence, FindSilencePicksTheOneLastingLongestAndSaysWhy) {
  std::vector<Silence> silences = {
      OneOff(Tue(2h), Tue(3h)),
      Silence{.name = "Meta weekly",
              .kind = SilenceKind::kMaintenance,
              .domains = {"meta"},
              .weekly = WeeklyRecurrence{.days = {Tuesday}, .start = 1h, .duration = 4h}},
      Silence{.name = "quiet",
              .kind = SilenceKind::kSilence,
              .platforms = {"tiktok"},
              .start = Tue(0h),
              .end = Tue(10h)},
  };
  auto a = FindSilence(silences, "instagram", "meta", Tue(2h + 30min));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->silence->name, "Meta weekly");
  EXPECT_EQ(SuppressedMessage(*a),
            "suppressed: maintenance window 'Meta weekly' until 2026-11-24T05:00:00Z");

  auto b = FindSilence(silences, "tiktok", "bytedance", Tue(2h));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(SuppressedMessage(*b), "suppressed: silence 'quiet' until 2026-11-24T10:00:00Z");

  EXPECT_FALSE(FindSilence(silences, "instagram", "meta", Tue(6h)).has_value());
  EXPECT_FALSE(FindSilence(silences, "x", "", Tue(2h)).has_value());
}

}  // namespace
}  // namespace lifeline::watch
