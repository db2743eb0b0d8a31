// The shared pieces every SQL implementation relies on: percentiles, ids, hashes and cursors.
#include "store/common.h"

#include <gtest/gtest.h>

#include <vector>

namespace lifeline::store::internal {
namespace {

TEST(NearestRank, PicksMeasuredValues) {
  std::vector<double> one = {42};
  EXPECT_EQ(NearestRank(one, 50), 42);
  EXPECT_EQ(NearestRank(one, 99), 42);
  std::vector<double> four = {10, 20, 30, 40};
  EXPECT_EQ(NearestRank(four, 25), 10);  // ceil(1.0) = 1st
  EXPECT_EQ(NearestRank(four, 26), 20);  // ceil(1.04) = 2nd
  EXPECT_EQ(NearestRank(four, 50), 20);
  EXPECT_EQ(NearestRank(four, 95), 40);
  EXPECT_EQ(NearestRank(four, 100), 40);
}

TEST(Ids, SortByTimeAndAreUnique) {
  Time t = FromMillis(1'795'773'600'000);
  auto a = NewId("inc_", t);
  auto b = NewId("inc_", t + std::chrono::milliseconds(1));
  auto c = NewId("inc_", t + std::chrono::hours(24 * 365));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->size(), 4u + 26u);
  EXPECT_TRUE(a->starts_with("inc_"));
  EXPECT_LT(*a, *b);
  EXPECT_LT(*b, *c);
  EXPECT_NE(*a, *NewId("inc_", t));  // same millisecond, different random part
}

TEST(Hashes, MatchKnownVectors) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HashToken("abc"), Sha256Hex("abc"));
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(IsHex64(Sha256Hex("x")));
  EXPECT_FALSE(IsHex64("198.51.100.7"));
  EXPECT_FALSE(IsHex64(std::string(64, 'G')));
}

TEST(Secrets, AreLongRandomAndPrefixed) {
  auto a = NewTokenSecret();
  auto b = NewTokenSecret();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(a->starts_with("llt_"));
  EXPECT_TRUE(IsHex64(a->substr(4)));
  EXPECT_NE(*a, *b);
}

TEST(Cursor, RoundTripsAndRejectsGarbage) {
  IncidentCursor c{1, 1'795'773'600'000, "inc_01ABC"};
  auto back = DecodeCursor(EncodeCursor(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->closed, 1);
  EXPECT_EQ(back->opened_at, c.opened_at);
  EXPECT_EQ(back->id, c.id);
  for (const char* bad : {"", "x", "2.5.inc", "0.abc.inc", "0.5.", "0..inc"}) {
    EXPECT_FALSE(DecodeCursor(bad).ok()) << bad;
  }
}

TEST(Aggregate, GroupsByPlatformMinuteProbeAndVantage) {
  Time t = FromMillis(1'795'773'600'000);
  std::vector<ProbeSample> samples(3);
  samples[0] = {"a", "web", "here", t + std::chrono::seconds(59), true, {}, "", 10.0, 200};
  samples[1] = {"a", "web", "here", t + std::chrono::seconds(60), true, {}, "", 20.0, 200};
  samples[2] = {"a", "web", "eu", t, false, core::Layer::kTcp, "timeout", std::nullopt, 0};
  auto out = Aggregate(samples);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].from, "eu");
  EXPECT_EQ(out[0].ok_count, 0);
  EXPECT_EQ(out[1].minute, t);
  EXPECT_EQ(out[1].latency_p50, 10.0);
  EXPECT_EQ(out[2].minute, t + std::chrono::minutes(1));
}

}  // namespace
}  // namespace lifeline::store::internal
