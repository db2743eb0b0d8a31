// EngineMetrics: per-platform series on or off (serve.metrics.per_platform), auto's 1,000-platform
// limit, and a 10,000-platform scrape that stays small with them off while the aggregates stay.
#include "serve/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

namespace lifeline::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// `n` platforms, each with two probes observed and a verdict (every tenth one in an outage).
EngineMetrics& Fill(EngineMetrics& m, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string id = fmt::format("platform-{}", i);
    m.ProbeDuration(id, "web", 0.2);
    m.ProbeDuration(id, "api", 0.7);
    m.SetVerdict(id, i % 10 == 0 ? core::Verdict::kOutage : core::Verdict::kUp);
  }
  m.Lateness(0.01);
  m.ProbeLateness(0.02);
  m.LoopLag(0.003);
  m.RoundDone(false);
  m.SetIncidentsOpen(3);
  return m;
}

TEST(EngineMetrics, AutoIsOnBelowAThousandEnabledPlatforms) {
  EXPECT_TRUE(EngineMetrics::PerPlatform(std::nullopt, 0));
  EXPECT_TRUE(EngineMetrics::PerPlatform(std::nullopt, 999));
  EXPECT_FALSE(EngineMetrics::PerPlatform(std::nullopt, 1000));
  EXPECT_FALSE(EngineMetrics::PerPlatform(std::nullopt, 10000));
  EXPECT_TRUE(EngineMetrics::PerPlatform(true, 10000));
  EXPECT_FALSE(EngineMetrics::PerPlatform(false, 3));
}

TEST(EngineMetrics, PerPlatformSeriesByDefault) {
  EngineMetrics m;
  const std::string out = Fill(m, 3).Render();
  EXPECT_THAT(out, HasSubstr("lifeline_metrics_per_platform 1\n"));
  EXPECT_THAT(out,
              HasSubstr("lifeline_platform_verdict{platform=\"platform-0\",verdict=\"outage\"} "
                        "1\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_probe_duration_seconds_count{platform=\"platform-2\","
                             "probe=\"api\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_platforms{verdict=\"outage\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_platforms{verdict=\"up\"} 2\n"));
}

TEST(EngineMetrics, OffTenThousandPlatformsStaySmallWithTheAggregates) {
  EngineMetrics off;
  off.SetPerPlatform(false);
  const std::string out = Fill(off, 10000).Render();
  EXPECT_THAT(out, Not(HasSubstr("platform=")));
  EXPECT_THAT(out, Not(HasSubstr("lifeline_platform_verdict")));
  EXPECT_THAT(out, HasSubstr("lifeline_metrics_per_platform 0\n"));
  // The aggregates: every probe in one histogram, platforms counted by verdict, the rest as ever.
  EXPECT_THAT(out, HasSubstr("lifeline_probe_duration_seconds_count 20000\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_probe_duration_seconds_bucket{le=\"0.25\"} 10000\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_platforms{verdict=\"outage\"} 1000\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_platforms{verdict=\"up\"} 9000\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_incidents_open 3\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_scheduler_lateness_seconds_count 1\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_probe_start_lateness_seconds_count 1\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_event_loop_lag_seconds_bucket{le=\"0.005\"} 1\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_event_loop_lag_max_seconds 0.003\n"));
  EXPECT_THAT(out, HasSubstr("lifeline_rounds_total 1\n"));
  // Bounded: the same size as with one platform, whatever their number.
  EngineMetrics one;
  one.SetPerPlatform(false);
  const std::string small = Fill(one, 1).Render();
  EXPECT_LT(out.size(), 8 * 1024u) << out.size() << " bytes";
  EXPECT_LE(out.size(), small.size() + 64) << "grows with the platforms";

  // With the series on, the same platforms make megabytes: what the option is for.
  EngineMetrics on;
  EXPECT_GT(Fill(on, 10000).Render().size(), 100 * out.size());
}

}  // namespace
}  // namespace lifeline::serve
