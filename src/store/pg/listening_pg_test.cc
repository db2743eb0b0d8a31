// The PostgreSQL listening store with several instances on one database: the same posts stored by
// several instances at once (their sources overlap) are stored once and counted once per query
// and hour, in the hour of their earliest sighting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "store/pg/store_fixture.h"

namespace lifeline::store {
namespace {

using pg::testing::MustOk;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::ElementsAre;

const Time kT0 = FromMillis(1'795'773'600'000);  // 2026-11-27T10:00:00Z

using PgListening = pg::testing::PgStoreTest;

TEST_F(PgListening, PostsStoredBySeveralInstancesAtOnceAreCountedOnce) {
  constexpr int kInstances = 4;
  constexpr int kPosts = 30;
  std::vector<std::unique_ptr<Store>> instances;
  for (int i = 0; i < kInstances; ++i) instances.push_back(Instance(2));
  std::latch start(kInstances);
  std::vector<core::Result<ListenAddResult>> results(kInstances, ListenAddResult{});
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      // Every instance sees every post, in its own order, each a minute later than the one
      // before it: the earliest sighting (instance 0's, 10:05) is the one that counts.
      std::vector<ListenPost> batch;
      for (int k = 0; k < kPosts; ++k) {
        // A different order per instance: rotated, and reversed on every other one.
        int n = (i % 2 == 0 ? k : kPosts - 1 - k + 7 * i) % kPosts;
        ListenPost p;
        p.key = "url:" + std::to_string(n);
        p.source = "source-" + std::to_string(i);
        p.source_id = p.key;
        p.posted_at = kT0 + minutes(5) + minutes(i * 20);
        p.fetched_at = kT0 + hours(2);
        p.shares = i;
        p.queries = {"chatter:instagram", i % 2 == 0 ? "brand:a" : "brand:b"};
        batch.push_back(std::move(p));
      }
      start.arrive_and_wait();
      results[i] = instances[i]->Listening().AddPosts(batch, nullptr, {});
    });
  }
  for (auto& t : threads) t.join();
  std::int64_t new_posts = 0, new_links = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    new_posts += r->new_posts;
    new_links += r->new_links;
  }
  EXPECT_EQ(new_posts, kPosts);
  EXPECT_EQ(new_links, 3 * kPosts);
  ListeningStore& l = instances[0]->Listening();
  auto counts = [&](const std::string& q) {
    std::vector<std::pair<Time, std::int64_t>> out;
    for (const auto& c : MustOk(l.HourCounts(q, kT0 - hours(1), kT0 + hours(3)))) {
      out.emplace_back(c.hour, c.count);
    }
    return out;
  };
  EXPECT_THAT(counts("chatter:instagram"), ElementsAre(std::pair(kT0, std::int64_t{kPosts})));
  EXPECT_THAT(counts("brand:a"), ElementsAre(std::pair(kT0, std::int64_t{kPosts})));
  EXPECT_THAT(counts("brand:b"), ElementsAre(std::pair(kT0, std::int64_t{kPosts})));
  auto posts = MustOk(l.ListPosts({.limit = 1000}));
  ASSERT_EQ(posts.size(), static_cast<std::size_t>(kPosts));
  for (const auto& p : posts) {
    EXPECT_EQ(p.posted_at, kT0 + minutes(5)) << p.key;
    EXPECT_EQ(p.shares, kInstances - 1) << p.key;
  }
}

}  // namespace
}  // namespace lifeline::store
