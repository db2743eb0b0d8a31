// Behaviour every Store's listening slice must have (listening.h's contract), as part of the
// StoreConformance suite: each dialect that instantiates the suite runs these too.
#include <gmock/gmock.h>

#include "store/store_conformance_test.h"

namespace lifeline::store {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::ElementsAre;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

template <typename T>
T Must(core::Result<T> r) {
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    std::abort();
  }
  return std::move(r).value();
}

ListenPost MakePost(std::string key, Time at, std::vector<std::string> queries,
                    std::string source = "x") {
  ListenPost p;
  p.key = std::move(key);
  p.source = std::move(source);
  p.source_id = p.key;
  p.text = "is instagram down?";
  p.posted_at = at;
  p.fetched_at = kT0 + hours(5);
  p.queries = std::move(queries);
  return p;
}

std::vector<std::int64_t> Counts(ListeningStore& l, const std::string& q) {
  std::vector<std::int64_t> out;
  for (const auto& c : Must(l.HourCounts(q, kT0 - hours(24), kT0 + hours(24)))) {
    out.push_back(c.count);
  }
  return out;
}

TEST_P(StoreConformance, ListeningStoresEachPostOnceAndCountsItPerQueryAndHour) {
  ListeningStore& l = store_->Listening();
  std::vector<ListenPost> first = {MakePost("url:a", kT0 + minutes(5), {"chatter:instagram"}),
                                   MakePost("url:b", kT0 + minutes(65), {"chatter:instagram"})};
  auto r = Must(l.AddPosts(first, nullptr, {}));
  EXPECT_EQ(r.new_posts, 2);
  EXPECT_EQ(r.new_links, 2);
  // The same post from another source, one more query, more shares: one row, one more link.
  ListenPost again =
      MakePost("url:a", kT0 + minutes(7), {"chatter:instagram", "brand:acme:mentions"}, "mastodon");
  again.shares = 9;
  r = Must(l.AddPosts(std::span<const ListenPost>(&again, 1), nullptr, {}));
  EXPECT_EQ(r.new_posts, 0);
  EXPECT_EQ(r.new_links, 1);
  EXPECT_THAT(Counts(l, "chatter:instagram"), ElementsAre(1, 1));
  EXPECT_THAT(Counts(l, "brand:acme:mentions"), ElementsAre(1));
  auto posts = Must(l.ListPosts({.query = "chatter:instagram"}));
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].key, "url:b") << "newest first";
  EXPECT_EQ(posts[1].source, "x") << "the first source's row is kept";
  EXPECT_EQ(posts[1].shares, 9) << "the largest share count";
  EXPECT_EQ(posts[1].posted_at, kT0 + minutes(5)) << "the earliest time";
  EXPECT_THAT(posts[1].queries, ElementsAre("brand:acme:mentions", "chatter:instagram"));
  Reopen();
  EXPECT_EQ(Must(store_->Listening().ListPosts({})).size(), 2u);
}

TEST_P(StoreConformance, ListeningAnEarlierSightingMovesThePostsCountToItsHour) {
  ListeningStore& l = store_->Listening();
  ListenPost p = MakePost("url:a", kT0 + minutes(65), {"chatter:instagram"});
  ASSERT_TRUE(l.AddPosts(std::span<const ListenPost>(&p, 1), nullptr, {}).ok());
  p.posted_at = kT0 + minutes(50);
  ASSERT_TRUE(l.AddPosts(std::span<const ListenPost>(&p, 1), nullptr, {}).ok());
  auto counts = Must(l.HourCounts("chatter:instagram", kT0 - hours(1), kT0 + hours(3)));
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0].hour, kT0);
  EXPECT_EQ(counts[0].count, 1);
}

TEST_P(StoreConformance, ListeningStoresStateAndCoverageWithThePostsAllOrNone) {
  ListeningStore& l = store_->Listening();
  ListenSourceState s;
  s.source = "x";
  s.term = "instagram down";
  s.cursor = "123";
  s.last_poll = s.last_ok = kT0;
  s.outcome = "ok";
  s.polls = 1;
  std::vector<ListenPost> posts = {MakePost("url:a", kT0, {"chatter:instagram"})};
  const std::vector<Time> covered = {kT0 + minutes(30)};
  ASSERT_TRUE(l.AddPosts(posts, &s, covered).ok());
  auto states = Must(l.SourceStates());
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].cursor, "123");
  EXPECT_EQ(states[0].posts, 1) << "new posts counted with the state";
  EXPECT_THAT(Must(l.CoveredHours(kT0 - hours(1), kT0 + hours(1))), ElementsAre(kT0));
  // A bad post in the batch: nothing of it is stored, the cursor does not move.
  s.cursor = "456";
  std::vector<ListenPost> bad = {MakePost("url:c", kT0, {"chatter:instagram"}),
                                 MakePost("", kT0, {"chatter:instagram"})};
  EXPECT_FALSE(l.AddPosts(bad, &s, {}).ok());
  EXPECT_EQ(Must(l.ListPosts({})).size(), 1u);
  EXPECT_EQ(Must(l.SourceStates())[0].cursor, "123");
}

TEST_P(StoreConformance, ListeningKeepsOneSpikeDecisionPerQueryAndHour) {
  ListeningStore& l = store_->Listening();
  ListenSpike k;
  k.query = "chatter:instagram";
  k.platform = "instagram";
  k.hour = kT0;
  k.judged_at = kT0 + minutes(61);
  k.observed = 57;
  k.expected = 6;
  k.weeks = {4, 6, 7, 5};
  k.p_value = 3e-21;
  k.spiking = true;
  k.fired = true;
  k.reason = "spike";
  k.evidence = "57 posts ...";
  ASSERT_TRUE(l.PutSpike(k).ok());
  k.judged_at = kT0 + minutes(62);
  ASSERT_TRUE(l.PutSpike(k).ok());
  ListenSpike calm = k;
  calm.hour = kT0 - hours(1);
  calm.spiking = calm.fired = false;
  calm.reason = "below_min_count";
  ASSERT_TRUE(l.PutSpike(calm).ok());
  auto all = Must(l.ListSpikes({}));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].hour, kT0);
  EXPECT_THAT(all[0].weeks, ElementsAre(4, 6, 7, 5));
  EXPECT_EQ(Must(l.ListSpikes({.platform = "instagram", .spiking_only = true})).size(), 1u);
  EXPECT_EQ(Must(l.LastFired("chatter:instagram")), std::optional<Time>(kT0 + minutes(62)));
  EXPECT_EQ(Must(l.LastFired("chatter:whatsapp")), std::nullopt);
}

}  // namespace
}  // namespace lifeline::store
