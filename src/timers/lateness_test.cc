// The lateness figure: histogram, maximum and the latest firings, bounded.
#include "timers/lateness.h"

#include <gtest/gtest.h>

namespace lifeline::timers {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Lateness::TimePoint kT0 = Lateness::TimePoint(store::FromMillis(1'795'773'600'000));

store::Timer Due(std::string key, Lateness::TimePoint due) {
  store::Timer t;
  t.key = std::move(key);
  t.kind = "test.kind";
  t.due = store::FromSystem(due);
  return t;
}

TEST(Lateness, KeepsAHistogramTheMaximumAndTheLatestFirings) {
  Lateness l;
  EXPECT_EQ(l.Get().count, 0u);
  for (int i = 0; i < 70; ++i) l.Record(Due(std::to_string(i), kT0), kT0 + milliseconds(i * 100));
  l.Record(Due("early", kT0 + seconds(1)), kT0);  // another clock ahead of ours: counts as 0
  Lateness::Snapshot s = l.Get();
  EXPECT_EQ(s.count, 71u);
  EXPECT_EQ(s.max, milliseconds(6900));
  EXPECT_EQ(s.sum, milliseconds(100 * (69 * 70 / 2)));
  EXPECT_EQ(s.buckets[0], 2u);   // <= 10 ms: 0 and "early"
  EXPECT_EQ(s.buckets[1], 3u);   // <= 100 ms
  EXPECT_EQ(s.buckets[3], 12u);  // <= 1 s
  EXPECT_EQ(s.buckets[5], 71u);  // <= 15 s: all
  ASSERT_EQ(s.recent.size(), Lateness::kRecent);
  EXPECT_EQ(s.recent.back().key, "early");
  EXPECT_EQ(s.recent.back().lateness, milliseconds(0));
  EXPECT_EQ(s.recent.front().key, "7");  // the oldest seven dropped
}

}  // namespace
}  // namespace lifeline::timers
