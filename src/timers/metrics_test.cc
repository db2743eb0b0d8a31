// The timers' /metrics lines: a Prometheus histogram of lateness in seconds, its maximum and the
// runs' outcomes, in the text format a scraper parses.
#include "timers/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace lifeline::timers {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

const Lateness::TimePoint kT0 = Lateness::TimePoint(store::FromMillis(1'795'773'600'000));

store::Timer Due(std::string key, Lateness::TimePoint due) {
  store::Timer t;
  t.key = std::move(key);
  t.kind = "playbook.escalate";
  t.due = store::FromSystem(due);
  return t;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(TimerMetrics, LatenessIsAHistogramInSecondsWithItsMaximum) {
  Lateness l;
  l.Record(Due("a", kT0), kT0 + milliseconds(4));          // <= 0.01
  l.Record(Due("b", kT0), kT0 + milliseconds(250));        // <= 0.5
  l.Record(Due("c", kT0), kT0 + milliseconds(1200));       // <= 5
  l.Record(Due("d", kT0), kT0 + milliseconds(7'200'000));  // over every bound: +Inf only
  std::string text = LatenessMetrics(l.Get());
  EXPECT_THAT(Lines(text),
              ::testing::ElementsAre(HasSubstr("# HELP lifeline_timer_lateness_seconds "),
                                     "# TYPE lifeline_timer_lateness_seconds histogram",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"0.01\"} 1",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"0.1\"} 1",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"0.5\"} 2",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"1\"} 2",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"5\"} 3",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"15\"} 3",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"60\"} 3",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"300\"} 3",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"900\"} 3",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"3600\"} 3",
                                     "lifeline_timer_lateness_seconds_bucket{le=\"+Inf\"} 4",
                                     "lifeline_timer_lateness_seconds_sum 7201.454",
                                     "lifeline_timer_lateness_seconds_count 4",
                                     HasSubstr("# HELP lifeline_timer_lateness_max_seconds "),
                                     "# TYPE lifeline_timer_lateness_max_seconds gauge",
                                     "lifeline_timer_lateness_max_seconds 7200"));
}

TEST(TimerMetrics, NothingFiredYetIsAllZeros) {
  std::string text = LatenessMetrics(Lateness().Get());
  EXPECT_THAT(text, HasSubstr("lifeline_timer_lateness_seconds_bucket{le=\"+Inf\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_lateness_seconds_sum 0\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_lateness_max_seconds 0\n"));
}

TEST(TimerMetrics, RunsByOutcome) {
  SchedulerStats s;
  s.completed = 7;
  s.retried = 2;
  s.failed = 1;
  s.store_errors = 3;
  std::string text = StatsMetrics(s);
  EXPECT_THAT(text, HasSubstr("# TYPE lifeline_timer_runs_total counter\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_runs_total{outcome=\"completed\"} 7\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_runs_total{outcome=\"retried\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_runs_total{outcome=\"failed\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_runs_total{outcome=\"lost\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("lifeline_timer_store_errors_total 3\n"));
}

}  // namespace
}  // namespace lifeline::timers
