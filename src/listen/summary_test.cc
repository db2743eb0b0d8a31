// The cross-source dedup key and the hourly summaries (sentiment shares, top terms, most shared).
#include "listen/summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::listen {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::ElementsAre;
using ::testing::Field;

const TimePoint kNoon = std::chrono::sys_days{std::chrono::year{2026} / 3 / 4} + hours(12);

Post MakePost(std::string source, std::string id, std::string url, std::string author,
              std::string text, TimePoint at, std::int64_t shares = 0) {
  return Post{std::move(source),
              std::move(id),
              std::move(url),
              std::move(author),
              std::move(text),
              at,
              shares};
}

TEST(DedupKey, TheSamePostFromTwoSourcesHasOneKey) {
  // By URL: the X API and an RSS bridge give the same tweet with different decorations.
  const Post api = MakePost("x", "1790", "https://x.com/alice/status/1790", "alice", "a", kNoon);
  const Post rss = MakePost("rss", "tag:1", "http://www.twitter.com/alice/status/1790/?s=20#m",
                            "@Alice", "different text", kNoon);
  EXPECT_EQ(DedupKey(api), "url:https://x.com/alice/status/1790");
  EXPECT_EQ(DedupKey(api), DedupKey(rss));
  // By text and author when no URL is known: case, spacing and links do not matter.
  const Post a = MakePost("mastodon", "1", "", "@Bob@mastodon.social",
                          "Instagram is DOWN   again https://t.co/x1", kNoon);
  const Post b = MakePost("rss", "9", "", "bob@mastodon.social",
                          "instagram is down again https://bit.ly/y2\n", kNoon);
  EXPECT_EQ(DedupKey(a), DedupKey(b));
  EXPECT_TRUE(DedupKey(a).starts_with("text:"));
  EXPECT_EQ(DedupKey(a).size(), 5u + 32u);
  // The source is not part of the key...
  Post c = a;
  c.source = "bluesky";
  c.id = "zzz";
  EXPECT_EQ(DedupKey(c), DedupKey(a));
}

TEST(DedupKey, DifferentPostsHaveDifferentKeys) {
  const Post a = MakePost("x", "1", "", "bob", "instagram is down again", kNoon);
  EXPECT_NE(DedupKey(a),
            DedupKey(MakePost("x", "2", "", "carol", "instagram is down again", kNoon)));
  EXPECT_NE(DedupKey(a), DedupKey(MakePost("x", "3", "", "bob", "instagram is up again", kNoon)));
  EXPECT_NE(DedupKey(MakePost("x", "1", "https://x.com/a/status/1", "", "", kNoon)),
            DedupKey(MakePost("x", "2", "https://x.com/a/status/2", "", "", kNoon)));
  // Neither URL nor text: the source's own id, so two empty posts are not merged.
  EXPECT_EQ(DedupKey(MakePost("youtube", "Ugx1", "", "dave", "  ", kNoon)), "id:youtube:Ugx1");
  EXPECT_NE(DedupKey(MakePost("youtube", "Ugx1", "", "dave", "", kNoon)),
            DedupKey(MakePost("youtube", "Ugx2", "", "dave", "", kNoon)));
}

TEST(DedupKey, NormalisesUrls) {
  EXPECT_EQ(NormaliseUrl("HTTPS://WWW.Example.COM:443/Path/To/?utm_source=x&b=2&a=1&fbclid=z#frag"),
            "https://example.com/Path/To?a=1&b=2");
  EXPECT_EQ(NormaliseUrl("http://user:pw@m.facebook.com/story.php?story_fbid=5&id=7"),
            "https://facebook.com/story.php?id=7&story_fbid=5");
  EXPECT_EQ(NormaliseUrl("https://old.reddit.com/r/instagram/comments/abc/down/"),
            "https://reddit.com/r/instagram/comments/abc/down");
  EXPECT_EQ(NormaliseUrl("https://example.com/"), "https://example.com");
  EXPECT_EQ(NormaliseUrl("https://example.com/?t=30"), "https://example.com?t=30");  // t only on x
  EXPECT_EQ(NormaliseUrl("ftp://example.com/a"), "");
  EXPECT_EQ(NormaliseUrl("not a url"), "");
  EXPECT_EQ(NormaliseUrl("https:///nohost"), "");
}

TEST(DedupKey, DeduplicateKeepsTheFirstWithTheMostSharesAndEarliestTime) {
  const Post a = MakePost("x", "1", "https://x.com/a/status/1", "a", "first", kNoon, 5);
  const Post b =
      MakePost("rss", "r", "https://twitter.com/a/status/1", "a", "second", kNoon - minutes(3), 40);
  const Post c = MakePost("x", "2", "https://x.com/a/status/2", "a", "other", kNoon, 1);
  const auto out = Deduplicate(std::vector<Post>{a, b, c});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].text, "first");
  EXPECT_EQ(out[0].shares, 40);
  EXPECT_EQ(out[0].posted_at, kNoon - minutes(3));
  EXPECT_EQ(out[1].text, "other");
}

TEST(Summary, SharesTermsAndTopPostsPerHour) {
  const Vader& v = Vader::Bundled();
  std::vector<Post> posts = {
      // 12:00-13:00: two negative, one positive, one neutral; one duplicate across sources.
      MakePost("x", "1", "https://x.com/a/status/1", "a", "Instagram is down, this is terrible",
               kNoon + minutes(1), 120),
      MakePost("rss", "r1", "https://twitter.com/a/status/1/", "a",
               "Instagram is down, this is terrible", kNoon + minutes(2), 3),
      MakePost("mastodon", "2", "", "b", "#instagramdown feed won't load, it is awful",
               kNoon + minutes(5), 7),
      MakePost("bluesky", "3", "", "c", "Thanks @brand for the quick update, great job",
               kNoon + minutes(30), 7),
      MakePost("reddit", "4", "", "d", "Is the feed down for anyone else", kNoon + minutes(59)),
      // 13:00-14:00: one post.
      MakePost("x", "5", "", "e", "Back up now, great", kNoon + hours(1) + minutes(10), 2),
  };
  SummaryOptions options;
  options.exclude_terms = {"instagram", "instagramdown"};  // the query's words
  options.top_terms = 3;
  options.top_posts = 2;
  const auto hours_out = SummariseHours(posts, v, options);
  ASSERT_EQ(hours_out.size(), 2u);
  const HourSummary& h = hours_out[0];
  EXPECT_EQ(h.hour, HourOf(kNoon));
  EXPECT_EQ(h.posts, 4);  // the duplicate counted once
  EXPECT_EQ(h.negative, 2);
  EXPECT_EQ(h.positive, 1);
  EXPECT_EQ(h.neutral, 1);
  EXPECT_DOUBLE_EQ(h.share(Polarity::kNegative), 0.5);
  EXPECT_DOUBLE_EQ(h.share(Polarity::kPositive), 0.25);
  EXPECT_LT(h.mean_compound, 0);
  // "down" and "feed" in 2 posts each; "instagram" and "#instagramdown" excluded (the bare
  // "instagramdown" excludes the hashtag too); then alphabetical among the terms used once.
  EXPECT_THAT(h.top_terms,
              ElementsAre(Field(&TermCount::term, "down"), Field(&TermCount::term, "feed"),
                          Field(&TermCount::term, "anyone")));
  EXPECT_EQ(h.top_terms[0].posts, 2);
  // Most shared first (the duplicate's 120 kept), ties broken by the earlier post; the post
  // without shares is not "most shared".
  ASSERT_EQ(h.top_posts.size(), 2u);
  EXPECT_EQ(h.top_posts[0].shares, 120);
  EXPECT_EQ(h.top_posts[0].key, "url:https://x.com/a/status/1");
  EXPECT_LT(h.top_posts[0].compound, -0.05);
  EXPECT_EQ(h.top_posts[1].source, "mastodon");  // 7 shares at 12:05, before bluesky's at 12:30
  const HourSummary& next = hours_out[1];
  EXPECT_EQ(next.hour, HourOf(kNoon) + hours(1));
  EXPECT_EQ(next.posts, 1);
  EXPECT_EQ(next.positive, 1);
  EXPECT_DOUBLE_EQ(next.share(Polarity::kPositive), 1.0);
  EXPECT_TRUE(SummariseHours(std::vector<Post>{}, v).empty());
}

}  // namespace
}  // namespace lifeline::listen
