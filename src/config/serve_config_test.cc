// Tests for the `lifeline serve` settings of the config (serve, api, crowd, maintenance, silences,
// per-platform intervals) and the value parsers they use: defaults, good values, FILE:LINE: KEY.
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/values.h"

namespace lifeline::config {
namespace {

using namespace std::chrono_literals;

std::string LoadError(std::string_view yaml) {
  auto c = LoadString(yaml, "lifeline.yaml");
  if (c.ok()) return "<loaded>";
  EXPECT_EQ(c.error().code(), core::ErrorCode::kInvalidArgument) << c.error().message();
  return c.error().message();
}

Config MustLoad(std::string_view yaml) {
  auto c = LoadString(yaml, "/etc/lifeline/lifeline.yaml");
  EXPECT_TRUE(c.ok()) << c.error().message();
  return c.ok() ? std::move(c).value() : Config{};
}

std::chrono::system_clock::time_point Utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return std::chrono::sys_days(std::chrono::year(y) / mo / d) + std::chrono::hours(h) +
         std::chrono::minutes(mi);
}

TEST(ServeConfig, DefaultsMatchTheDocs) {
  auto c = LoadBundled();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->serve.interval, 30s);
  EXPECT_DOUBLE_EQ(c->serve.jitter, 0.10);
  EXPECT_EQ(c->serve.machine.open_after, 2);
  EXPECT_EQ(c->serve.machine.open_after_confirmed, 1);
  EXPECT_EQ(c->serve.machine.close_after, 3);
  EXPECT_EQ(c->serve.machine.flapping_transitions, 4);
  EXPECT_EQ(c->serve.machine.flapping_window, 10min);
  EXPECT_EQ(c->serve.status_page_interval, 2min);
  EXPECT_EQ(c->serve.DatabasePath(), "var/lifeline.db");
  EXPECT_EQ(c->serve.IntervalOf("instagram"), 30s);
  EXPECT_FALSE(c->serve.metrics_per_platform.has_value());  // auto
  EXPECT_EQ(c->api.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->api.anonymous_role, "viewer");
  EXPECT_EQ(c->crowd.window, 60min);
  EXPECT_TRUE(c->silences.empty());
}

TEST(ServeConfig, ReadsEverySetting) {
  Config c = MustLoad(R"(serve:
  interval: 15s
  jitter: 20%
  open_after: 3
  open_after_confirmed: 2
  close_after: 4
  flapping_transitions: 6
  flapping_window: 30m
  status_page_interval: 5m
  data_dir: data
api:
  listen: "[::1]:9090"
  anonymous_role: operator
  web_root: web/dist
crowd: { window: 30m, weeks: 6, factor: 4, min_count: 20, floor: 3, method: trimmed_mean, trim: 0.2 }
platforms:
  whatsapp: { interval: 10s }
)");
  EXPECT_EQ(c.serve.interval, 15s);
  EXPECT_DOUBLE_EQ(c.serve.jitter, 0.2);
  EXPECT_EQ(c.serve.machine.open_after, 3);
  EXPECT_EQ(c.serve.machine.open_after_confirmed, 2);
  EXPECT_EQ(c.serve.machine.close_after, 4);
  EXPECT_EQ(c.serve.machine.flapping_transitions, 6);
  EXPECT_EQ(c.serve.machine.flapping_window, 30min);
  EXPECT_EQ(c.serve.status_page_interval, 5min);
  EXPECT_EQ(c.serve.data_dir, "/etc/lifeline/data");  // relative to the file's folder
  EXPECT_EQ(c.serve.DatabasePath(), "/etc/lifeline/data/lifeline.db");
  EXPECT_EQ(c.serve.IntervalOf("whatsapp"), 10s);
  EXPECT_EQ(c.serve.IntervalOf("facebook"), 15s);
  EXPECT_EQ(c.api.listen, "[::1]:9090");
  EXPECT_EQ(c.api.anonymous_role, "operator");
  EXPECT_EQ(c.api.web_root, "/etc/lifeline/web/dist");
  EXPECT_EQ(c.crowd.window, 30min);
  EXPECT_EQ(c.crowd.weeks, 6);
  EXPECT_DOUBLE_EQ(c.crowd.factor, 4);
  EXPECT_EQ(c.crowd.min_count, 20);
  EXPECT_DOUBLE_EQ(c.crowd.floor, 3);
  EXPECT_EQ(c.crowd.method, watch::BaselineMethod::kTrimmedMean);
  EXPECT_DOUBLE_EQ(c.crowd.trim, 0.2);
}

TEST(ServeConfig, MetricsPerPlatformIsAutoTrueOrFalse) {
  EXPECT_FALSE(MustLoad("serve: { interval: 30s }\n").serve.metrics_per_platform.has_value());
  EXPECT_FALSE(MustLoad("serve: { metrics: { per_platform: auto } }\n")
                   .serve.metrics_per_platform.has_value());
  EXPECT_EQ(MustLoad("serve: { metrics: { per_platform: true } }\n").serve.metrics_per_platform,
            std::optional<bool>(true));
  EXPECT_EQ(MustLoad("serve: { metrics: { per_platform: false } }\n").serve.metrics_per_platform,
            std::optional<bool>(false));
}

TEST(ServeConfig, DatabaseOverridesDataDir) {
  Config c = MustLoad("serve: { data_dir: /var/lib/lifeline, database: /srv/l.db }\n");
  EXPECT_EQ(c.serve.DatabasePath(), "/srv/l.db");
}

TEST(ServeConfig, MaintenanceAndSilences) {
  Config c = MustLoad(R"(maintenance:
  - name: Meta weekly
    domains: [meta]
    weekly: { days: [tue, Thursday], start: "02:00", duration: 90m }
silences:
  - name: known X trouble
    platforms: x
    start: 2026-11-27T02:00:00Z
    end: 2026-11-27T05:30:00+01:00
)");
  ASSERT_EQ(c.silences.size(), 2u);
  const watch::Silence& m = c.silences[0];
  EXPECT_EQ(m.kind, watch::SilenceKind::kMaintenance);
  EXPECT_EQ(m.domains, std::vector<std::string>{"meta"});
  ASSERT_TRUE(m.weekly.has_value());
  EXPECT_EQ(m.weekly->days,
            (std::vector<std::chrono::weekday>{std::chrono::Tuesday, std::chrono::Thursday}));
  EXPECT_EQ(m.weekly->start, 120min);
  EXPECT_EQ(m.weekly->duration, 90min);
  const watch::Silence& s = c.silences[1];
  EXPECT_EQ(s.kind, watch::SilenceKind::kSilence);
  EXPECT_EQ(s.platforms, std::vector<std::string>{"x"});
  EXPECT_EQ(*s.start, Utc(2026, 11, 27, 2, 0));
  EXPECT_EQ(*s.end, Utc(2026, 11, 27, 4, 30));
  EXPECT_TRUE(s.Covers("x", "x"));
  EXPECT_TRUE(s.ActiveUntil(Utc(2026, 11, 27, 3, 0)).has_value());
}

TEST(ServeConfig, AWeeklyWindowInANamedZoneFollowsItsDaylightSavingTime) {
  Config c = MustLoad(R"(maintenance:
  - name: Berlin night work
    platforms: [x]
    weekly: { days: [mon], start: "02:00", duration: 60m, zone: Europe/Berlin }
)");
  ASSERT_EQ(c.silences.size(), 1u);
  const watch::Silence& m = c.silences[0];
  EXPECT_EQ(m.weekly->zone, "Europe/Berlin");
  // Monday 30 Nov 2026, winter (UTC+1): 01:00Z to 02:00Z.
  EXPECT_FALSE(m.ActiveUntil(Utc(2026, 11, 30, 0, 59)).has_value());
  EXPECT_EQ(m.ActiveUntil(Utc(2026, 11, 30, 1, 0)), Utc(2026, 11, 30, 2, 0));
  // Monday 29 June 2026, summer (UTC+2): 00:00Z to 01:00Z.
  EXPECT_EQ(m.ActiveUntil(Utc(2026, 6, 29, 0, 30)), Utc(2026, 6, 29, 1, 0));
  EXPECT_FALSE(m.ActiveUntil(Utc(2026, 6, 29, 1, 30)).has_value());
}

TEST(ServeConfig, SilencesMayNamePlatformsAddedLaterInTheFile) {
  Config c = MustLoad(R"(silences:
  - { name: forum work, platforms: [myforum], start: 2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z }
platforms:
  myforum:
    name: My Forum
    domain: self-hosted
    probes: [{ id: web, url: "https://forum.example.com/" }]
)");
  ASSERT_EQ(c.silences.size(), 1u);
}

TEST(ServeConfig, MistakesNameFileLineAndKey) {
  struct Case {
    std::string yaml;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"serve:\n  interval: 2s\n",
       "lifeline.yaml:2: serve.interval: '2s' is out of range (from 5s"},
      {"serve:\n  intervall: 10s\n",
       "lifeline.yaml:2: serve.intervall: unknown key 'intervall' (did you mean 'interval'?)"},
      {"serve:\n  jitter: 80%\n",
       "lifeline.yaml:2: serve.jitter: '80%' is too large (at most 50%)"},
      {"serve:\n  jitter: lots\n", "serve.jitter: 'lots' is not a share"},
      {"serve:\n  open_after: 0\n", "lifeline.yaml:2: serve.open_after: 0 is out of range"},
      {"serve:\n  flapping_window: 1s\n",
       "lifeline.yaml:2: serve.flapping_window: flapping_window must be"},
      {"serve:\n  status_page_interval: 1s\n", "serve.status_page_interval: must be at least 10s"},
      {"serve:\n  metrics:\n    per_platform: sometimes\n",
       "lifeline.yaml:3: serve.metrics.per_platform: 'sometimes' is not auto, true or false"},
      {"serve:\n  metrics:\n    per_platfrom: true\n",
       "lifeline.yaml:3: serve.metrics.per_platfrom: unknown key 'per_platfrom' (did you mean "
       "'per_platform'?)"},
      {"api:\n  listen: localhost:8080\n",
       "lifeline.yaml:2: api.listen: listen address 'localhost:8080': not an IP address; "
       "expected ADDR:PORT"},
      {"api:\n  anonymous_role: admin\n",
       "lifeline.yaml:2: api.anonymous_role: unknown role 'admin' for requests without a token"},
      {"crowd:\n  factor: 0.5\n", "lifeline.yaml:2: crowd.factor: factor must be"},
      {"crowd:\n  window: 90s\n", "crowd.window: must be whole minutes"},
      {"crowd:\n  method: mean\n", "crowd.method: unknown method 'mean'"},
      {"platforms:\n  whatsapp: { interval: 1s }\n",
       "lifeline.yaml:2: platforms.whatsapp.interval: '1s' is out of range"},
      {"maintenance:\n  - { platforms: [x], start: 2026-01-01T00:00:00Z, end: "
       "2026-01-02T00:00:00Z }\n",
       "lifeline.yaml:2: maintenance[0]: needs a 'name'"},
      {"maintenance:\n  - name: m\n    platforms: [instagarm]\n    start: 2026-01-01T00:00:00Z\n"
       "    end: 2026-01-02T00:00:00Z\n",
       "lifeline.yaml:3: maintenance[0].platforms[0]: unknown platform id 'instagarm'; did you "
       "mean 'instagram'?"},
      {"silences:\n  - name: s\n    domains: [mata]\n    start: 2026-01-01T00:00:00Z\n"
       "    end: 2026-01-02T00:00:00Z\n",
       "lifeline.yaml:3: silences[0].domains[0]: unknown failure domain 'mata' (did you mean "
       "'meta'?)"},
      {"silences:\n  - name: s\n    platforms: [x]\n    start: 2026-01-02T00:00:00Z\n"
       "    end: 2026-01-01T00:00:00Z\n",
       "lifeline.yaml:2: silences[0]: silence 's': end (2026-01-01T00:00:00Z) must be after start"},
      {"silences:\n  - name: s\n    platforms: [x]\n    start: 2026-01-01 00:00\n"
       "    end: 2026-01-02T00:00:00Z\n",
       "lifeline.yaml:4: silences[0].start: '2026-01-01 00:00' is not an RFC 3339 time"},
      {"silences:\n  - name: s\n    platforms: [x]\n    start: 2026-01-01T00:00:00\n"
       "    end: 2026-01-02T00:00:00Z\n",
       "silences[0].start: '2026-01-01T00:00:00' has no time zone"},
      {"silences:\n  - name: s\n    platforms: [x]\n", "set either start and end"},
      {"maintenance:\n  - name: w\n    platforms: [x]\n    weekly: { days: [tue], start: "
       "\"25:00\", duration: 1h }\n",
       "lifeline.yaml:4: maintenance[0].weekly.start: '25:00' is not a time of day"},
      {"maintenance:\n  - name: w\n    platforms: [x]\n    weekly: { days: [someday], start: "
       "\"02:00\", duration: 1h }\n",
       "maintenance[0].weekly.days[0]: 'someday' is not a day of the week"},
      {"maintenance:\n  - name: w\n    platforms: [x]\n    weekly: { days: [tue], start: "
       "\"02:00\", duration: 1h, zone: Europe/Berln }\n",
       "lifeline.yaml:4: maintenance[0].weekly.zone: unknown time zone 'Europe/Berln' (an IANA "
       "name such as Europe/Berlin, America/New_York or UTC); did you mean 'Europe/Berlin'?"},
      {"maintenance:\n  - name: w\n    platforms: [x]\n    weekly: { days: [tue], start: "
       "\"02:00\", duration: 1h, zone: CEST }\n",
       "lifeline.yaml:4: maintenance[0].weekly.zone: unknown time zone 'CEST'"},
      {"maintenance:\n  - name: w\n    platforms: [x]\n    weekly: { days: [tue], start: "
       "\"02:00\" }\n",
       "maintenance[0].weekly: a weekly window needs 'duration'"},
      {"maintenance:\n  - { name: a, platforms: [x], start: 2026-01-01T00:00:00Z, end: "
       "2026-01-02T00:00:00Z }\nsilences:\n  - { name: a, platforms: [x], start: "
       "2026-01-01T00:00:00Z, end: 2026-01-02T00:00:00Z }\n",
       "lifeline.yaml:4: silences[0].name: duplicate name 'a'"},
  };
  for (const Case& c : cases) {
    std::string message = LoadError(c.yaml);
    EXPECT_NE(message.find(c.want), std::string::npos)
        << "yaml:\n"
        << c.yaml << "got:  " << message << "\nwant: " << c.want;
  }
}

TEST(ParseTimestamp, Rfc3339InUtc) {
  auto t = ParseTimestamp("2026-11-27T02:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Utc(2026, 11, 27, 2, 0));
  t = ParseTimestamp("2026-11-27T03:30:00+01:30");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Utc(2026, 11, 27, 2, 0));
  t = ParseTimestamp("2026-11-27 02:00:00.250z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, Utc(2026, 11, 27, 2, 0) + 250ms);
  EXPECT_FALSE(ParseTimestamp("2026-02-30T00:00:00Z").ok());
  EXPECT_FALSE(ParseTimestamp("2026-11-27T02:00:00Zjunk").ok());
  EXPECT_FALSE(ParseTimestamp("yesterday").ok());
}

// Found by fuzz/config_fuzz.cc (its crash input, verbatim): the year 6202 overflowed the clock's
// nanoseconds (undefined behaviour, a time in the past).
TEST(ParseTimestamp, YearsTheClockCannotHoldAreRefused) {
  auto t = ParseTimestamp("6202-11-27 00:00:00.5+01:00");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message(), "'6202-11-27 00:00:00.5+01:00' is outside the years 1678 to 2261");
  EXPECT_FALSE(ParseTimestamp("0001-01-01T00:00:00Z").ok());
  EXPECT_TRUE(ParseTimestamp("2261-12-31T23:59:59Z").ok());
}

TEST(ParseShare, PercentOrFraction) {
  EXPECT_DOUBLE_EQ(*ParseShare("10%", 0.5), 0.1);
  EXPECT_DOUBLE_EQ(*ParseShare("0.25", 0.5), 0.25);
  EXPECT_DOUBLE_EQ(*ParseShare("0", 0.5), 0.0);
  EXPECT_FALSE(ParseShare("60%", 0.5).ok());
  EXPECT_FALSE(ParseShare("10 percent", 0.5).ok());
}

TEST(ParseWeekday, ShortAndLongNames) {
  EXPECT_EQ(*ParseWeekday("mon"), std::chrono::Monday);
  EXPECT_EQ(*ParseWeekday("Sunday"), std::chrono::Sunday);
  EXPECT_EQ(*ParseWeekday("THU"), std::chrono::Thursday);
  EXPECT_FALSE(ParseWeekday("m").ok());
  EXPECT_FALSE(ParseWeekday("funday").ok());
}

TEST(ParseTimeOfDay, HoursAndMinutes) {
  EXPECT_EQ(*ParseTimeOfDay("02:30"), 150min);
  EXPECT_EQ(*ParseTimeOfDay("7:05"), 425min);
  EXPECT_FALSE(ParseTimeOfDay("24:00").ok());
  EXPECT_FALSE(ParseTimeOfDay("02:3").ok());
}

}  // namespace
}  // namespace lifeline::config
