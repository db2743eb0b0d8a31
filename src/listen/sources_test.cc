// Each source's parser on answers shaped as its API documents them, the Link header, and how each
// API's rate-limit answer is read.
#include "listen/sources.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lifeline::listen {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono;

TimePoint At(std::int64_t epoch_s) { return TimePoint(seconds(epoch_s)); }

// The shape of https://docs.x.com/x-api/posts/search-recent-posts's example answer.
constexpr const char* kXAnswer = R"({
  "data": [
    {"id": "1861000000000000002", "text": "is instagram down? feed won't load",
     "author_id": "2244994945", "created_at": "2026-11-27T10:05:00.000Z",
     "public_metrics": {"retweet_count": 12, "reply_count": 3, "like_count": 40, "quote_count": 2}},
    {"id": "1861000000000000001", "text": "#instagramdown again",
     "author_id": "99", "created_at": "2026-11-27T10:01:00.000Z",
     "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0}}
  ],
  "includes": {"users": [{"id": "2244994945", "name": "Dev", "username": "XDevelopers"}]},
  "meta": {"newest_id": "1861000000000000002", "oldest_id": "1861000000000000001",
           "result_count": 2, "next_token": "b26v89c19zqg8o3fpzbkk"}
})";

TEST(XParserTest, ReadsPostsAuthorsSharesAndCursors) {
  auto page = ParseXSearch(kXAnswer);
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->posts.size(), 2u);
  const Post& p = page->posts[0];
  EXPECT_EQ(p.source, "x");
  EXPECT_EQ(p.id, "1861000000000000002");
  EXPECT_EQ(p.author, "XDevelopers");
  EXPECT_EQ(p.url, "https://x.com/XDevelopers/status/1861000000000000002");
  EXPECT_EQ(p.shares, 14) << "retweets and quotes";
  EXPECT_EQ(p.posted_at, At(1795773900));
  EXPECT_EQ(page->posts[1].url, "https://x.com/i/web/status/1861000000000000001")
      << "an author missing from includes";
  EXPECT_EQ(page->next, "b26v89c19zqg8o3fpzbkk");
  EXPECT_EQ(page->newest, "1861000000000000002");
}

TEST(XParserTest, NoMatchesHasNoDataAndBadAnswersAreErrors) {
  auto empty = ParseXSearch(R"({"meta": {"result_count": 0}})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->posts.empty());
  EXPECT_TRUE(empty->next.empty());
  auto bad = ParseXSearch(R"({"data": [{"id": "1", "text": "x"}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message(), HasSubstr("no readable time"));
  auto junk = ParseXSearch("<html>502 Bad Gateway</html>");
  ASSERT_FALSE(junk.ok());
  EXPECT_THAT(junk.error().message(), HasSubstr("not JSON"));
}

// https://docs.joinmastodon.org/entities/Status/
constexpr const char* kMastodonAnswer = R"([
  {"id": "113500000000000003", "created_at": "2026-11-27T10:06:00.000Z",
   "url": "https://mastodon.social/@ana/113500000000000003",
   "uri": "https://mastodon.social/users/ana/statuses/113500000000000003",
   "content": "<p>Is <a href=\"https://mastodon.social/tags/instagramdown\">#<span>instagramdown</span></a> for everyone?&nbsp;&amp; WhatsApp &#8212; too</p><p>second</p>",
   "reblogs_count": 4, "account": {"acct": "ana", "username": "ana"}, "reblog": null},
  {"id": "113500000000000002", "created_at": "2026-11-27T10:05:00.000Z",
   "url": null, "uri": "https://mastodon.social/users/bob/statuses/2",
   "content": "", "reblogs_count": 0, "account": {"acct": "bob@other.example"},
   "reblog": {"id": "113400000000000001", "created_at": "2026-11-27T09:00:00.000Z",
              "url": "https://other.example/@carol/1", "content": "<p>down here too</p>",
              "reblogs_count": 9, "account": {"acct": "carol@other.example"}}}
])";

TEST(MastodonParserTest, ReadsStatusesHtmlAndBoosts) {
  auto page = ParseMastodonStatuses(kMastodonAnswer);
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->posts.size(), 2u);
  EXPECT_EQ(page->posts[0].text, "Is #instagramdown for everyone? & WhatsApp \u2014 too second");
  EXPECT_EQ(page->posts[0].author, "ana");
  EXPECT_EQ(page->posts[0].shares, 4);
  EXPECT_EQ(page->posts[1].id, "113400000000000001") << "a boost is the boosted status";
  EXPECT_EQ(page->posts[1].author, "carol@other.example");
  EXPECT_EQ(page->posts[1].text, "down here too");
  EXPECT_EQ(page->newest, "113500000000000003") << "paging uses the timeline's own ids";
  EXPECT_FALSE(ParseMastodonStatuses(R"({"error": "Record not found"})").ok());
}

TEST(LinkHeaderTest, ReadsMastodonsPrevAndNext) {
  auto links = ParseLinkHeader(
      "<https://mastodon.social/api/v1/timelines/tag/instagramdown?max_id=1>; rel=\"next\", "
      "<https://mastodon.social/api/v1/timelines/tag/instagramdown?min_id=3>; rel=\"prev\"");
  EXPECT_EQ(links["next"], "https://mastodon.social/api/v1/timelines/tag/instagramdown?max_id=1");
  EXPECT_EQ(links["prev"], "https://mastodon.social/api/v1/timelines/tag/instagramdown?min_id=3");
  EXPECT_TRUE(ParseLinkHeader("").empty());
}

// https://docs.bsky.app/docs/api/app-bsky-feed-search-posts
constexpr const char* kBlueskyAnswer = R"({
  "cursor": "25", "hitsTotal": 2,
  "posts": [
    {"uri": "at://did:plc:abc/app.bsky.feed.post/3lbxyz", "cid": "bafy",
     "author": {"did": "did:plc:abc", "handle": "ana.bsky.social"},
     "record": {"$type": "app.bsky.feed.post", "text": "instagram down?", "createdAt": "2026-11-27T10:07:00.000Z"},
     "replyCount": 0, "repostCount": 3, "likeCount": 5, "quoteCount": 1,
     "indexedAt": "2026-11-27T10:07:01.000Z"}
  ]
})";

TEST(BlueskyParserTest, ReadsPostViews) {
  auto page = ParseBlueskySearch(kBlueskyAnswer);
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->posts.size(), 1u);
  EXPECT_EQ(page->posts[0].url, "https://bsky.app/profile/ana.bsky.social/post/3lbxyz");
  EXPECT_EQ(page->posts[0].shares, 4);
  EXPECT_EQ(page->posts[0].posted_at, At(1795774020));
  EXPECT_EQ(page->next, "25");
  EXPECT_EQ(page->newest, "2026-11-27T10:07:01.000Z");
  EXPECT_FALSE(ParseBlueskySearch(R"({"cursor": "1"})").ok());
}

// https://www.reddit.com/dev/api/#GET_search
constexpr const char* kRedditAnswer = R"({"kind": "Listing", "data": {
  "after": "t3_1h0aaaa", "before": null, "dist": 1,
  "children": [{"kind": "t3", "data": {"name": "t3_1h0bbbb", "id": "1h0bbbb",
    "title": "Is Instagram down?", "selftext": "Can't load my feed", "author": "someone",
    "created_utc": 1795774080.0, "permalink": "/r/Instagram/comments/1h0bbbb/is_instagram_down/",
    "num_crossposts": 2, "score": 10}}]}})";

TEST(RedditParserTest, ReadsAListingOfLinks) {
  auto page = ParseRedditListing(kRedditAnswer);
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->posts.size(), 1u);
  EXPECT_EQ(page->posts[0].id, "t3_1h0bbbb");
  EXPECT_EQ(page->posts[0].text, "Is Instagram down?\nCan't load my feed");
  EXPECT_EQ(page->posts[0].url,
            "https://www.reddit.com/r/Instagram/comments/1h0bbbb/is_instagram_down/");
  EXPECT_EQ(page->posts[0].posted_at, At(1795774080));
  EXPECT_EQ(page->next, "t3_1h0aaaa");
  EXPECT_FALSE(ParseRedditListing(R"({"message": "Unauthorized", "error": 401})").ok());
}

// https://developers.google.com/youtube/v3/docs/commentThreads#resource
constexpr const char* kYouTubeAnswer = R"({
  "kind": "youtube#commentThreadListResponse", "nextPageToken": "QURTSl",
  "pageInfo": {"totalResults": 1, "resultsPerPage": 100},
  "items": [{"kind": "youtube#commentThread", "id": "UgzThread",
    "snippet": {"channelId": "UC1", "videoId": "dQw4w9WgXcQ", "totalReplyCount": 0,
      "topLevelComment": {"kind": "youtube#comment", "id": "UgzComment",
        "snippet": {"textDisplay": "is &lt;b&gt;instagram&lt;/b&gt; down", "textOriginal": "is instagram down",
          "authorDisplayName": "@viewer", "likeCount": 2,
          "publishedAt": "2026-11-27T10:09:00Z", "updatedAt": "2026-11-27T10:09:00Z"}}}}]
})";

TEST(YouTubeParserTest, ReadsTopLevelComments) {
  auto page = ParseYouTubeThreads(kYouTubeAnswer);
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->posts.size(), 1u);
  EXPECT_EQ(page->posts[0].id, "UgzComment");
  EXPECT_EQ(page->posts[0].text, "is instagram down");
  EXPECT_EQ(page->posts[0].url, "https://www.youtube.com/watch?v=dQw4w9WgXcQ&lc=UgzComment");
  EXPECT_EQ(page->next, "QURTSl");
}

TEST(FeedParserTest, ReadsMentionsFromRssAndAtom) {
  auto rss = ParseFeedPosts(R"(<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Mentions</title>
<item><title>Acme support is unreachable</title><link>https://blog.example/a</link>
<guid>a1</guid><dc:creator>Dana</dc:creator><pubDate>Fri, 27 Nov 2026 10:10:00 +0000</pubDate>
<description>&lt;p&gt;Since this morning @acme does not answer.&lt;/p&gt;</description></item>
<item><title>No date</title><link>https://blog.example/b</link></item>
</channel></rss>)");
  ASSERT_TRUE(rss.ok()) << rss.error().message();
  ASSERT_EQ(rss->posts.size(), 1u) << "an undated item cannot be counted in an hour";
  EXPECT_EQ(rss->posts[0].author, "Dana");
  EXPECT_EQ(rss->posts[0].text,
            "Acme support is unreachable\nSince this morning @acme does not answer.");
  auto atom = ParseFeedPosts(R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
<entry><id>tag:x,1</id><title>acme down?</title><link href="https://e.example/1"/>
<author><name>Eve</name></author><updated>2026-11-27T10:11:00Z</updated></entry></feed>)");
  ASSERT_TRUE(atom.ok()) << atom.error().message();
  ASSERT_EQ(atom->posts.size(), 1u);
  EXPECT_EQ(atom->posts[0].author, "Eve");
  EXPECT_EQ(atom->posts[0].url, "https://e.example/1");
  EXPECT_FALSE(ParseFeedPosts("<rss><channel>").ok());
}

channels::HttpResponse Answer(int status, std::vector<std::pair<std::string, std::string>> headers,
                              std::string body = "") {
  channels::HttpResponse r;
  r.transport = channels::HttpResponse::Transport::kAnswered;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

TEST(RateLimitTest, EachApiSaysWhenToComeBackItsOwnWay) {
  const TimePoint now = At(1795773600);  // 2026-11-27T10:00:00Z
  EXPECT_EQ(
      RateLimitedUntil(SourceKind::kX, Answer(429, {{"x-rate-limit-reset", "1795774500"}}), now),
      At(1795774500));
  EXPECT_EQ(RateLimitedUntil(SourceKind::kMastodon,
                             Answer(429, {{"x-ratelimit-reset", "2026-11-27T10:05:00.000Z"}}), now),
            At(1795773900));
  EXPECT_EQ(
      RateLimitedUntil(SourceKind::kBluesky, Answer(429, {{"ratelimit-reset", "1795773700"}}), now),
      At(1795773700));
  EXPECT_EQ(RateLimitedUntil(SourceKind::kReddit, Answer(429, {{"x-ratelimit-reset", "120"}}), now),
            now + seconds(120));
  EXPECT_EQ(RateLimitedUntil(SourceKind::kRss, Answer(429, {{"retry-after", "30"}}), now),
            now + seconds(30));
  EXPECT_EQ(RateLimitedUntil(SourceKind::kX, Answer(429, {}), now), now + minutes(1))
      << "no header: a minute";
  // YouTube's daily quota: the next midnight Pacific (08:00 UTC).
  EXPECT_EQ(RateLimitedUntil(
                SourceKind::kYouTube,
                Answer(403, {},
                       R"({"error": {"code": 403, "message": "quota", "errors": [{"message": "q",
                       "domain": "youtube.quota", "reason": "quotaExceeded"}]}})"),
                now),
            At(1795852800));  // 2026-11-28T08:00:00Z
  // Not rate limits: a 403 for other reasons, a 200, a 500.
  EXPECT_EQ(
      RateLimitedUntil(SourceKind::kYouTube,
                       Answer(403, {}, R"({"error": {"errors": [{"reason": "forbidden"}]}})"), now),
      std::nullopt);
  EXPECT_EQ(RateLimitedUntil(SourceKind::kX, Answer(200, {}), now), std::nullopt);
  EXPECT_EQ(RateLimitedUntil(SourceKind::kX, Answer(500, {}), now), std::nullopt);
}

// Found by fuzz/listen_fuzz.cc (its crash input's headers): a reset past the year 2262 overflowed
// the clock's nanoseconds (undefined behaviour, a time in the past). Misread: an hour.
TEST(RateLimitTest, ResetsBeyondTheClockAreMisreadNotOverflowed) {
  const TimePoint now = At(1795773600);
  auto spent = Answer(429, {{"x-rate-limit-reset", "20897887100"},
                            {"x-rate-limit-remaining", "0"},
                            {"X-RatieLimt-Reset", "2026-1sts\"}"}});
  EXPECT_EQ(RateLimitedUntil(SourceKind::kX, spent, now), now + hours(1));
  EXPECT_EQ(RateLimitedUntil(SourceKind::kBluesky,
                             Answer(429, {{"ratelimit-reset", "99999999999999999"}}), now),
            now + hours(1));
  EXPECT_EQ(
      RateLimitedUntil(SourceKind::kReddit, Answer(429, {{"x-ratelimit-reset", "1e300"}}), now),
      now + hours(1));
  EXPECT_EQ(RateLimitedUntil(SourceKind::kMastodon,
                             Answer(429, {{"x-ratelimit-reset", "4717-11-27T10:05:00Z"}}), now),
            now + minutes(1));
}

TEST(RateLimitTest, ASpentWindowWaitsForItsReset) {
  const TimePoint now = At(1795773600);
  EXPECT_EQ(WindowSpentUntil(SourceKind::kX,
                             Answer(200, {{"x-rate-limit-remaining", "0"},
                                          {"x-rate-limit-reset", "1795774500"}}),
                             now),
            At(1795774500));
  EXPECT_EQ(WindowSpentUntil(
                SourceKind::kReddit,
                Answer(200, {{"x-ratelimit-remaining", "0.0"}, {"x-ratelimit-reset", "30"}}), now),
            now + seconds(30));
  EXPECT_EQ(WindowSpentUntil(SourceKind::kX, Answer(200, {{"x-rate-limit-remaining", "3"}}), now),
            std::nullopt);
  EXPECT_EQ(WindowSpentUntil(SourceKind::kMastodon, Answer(200, {}), now), std::nullopt);
}

TEST(HtmlToTextTest, DropsTagsAndDecodesEntities) {
  EXPECT_EQ(HtmlToText("<p>a<br>b</p><p>c &lt;3 &#x1F600;</p>"), "a b c <3 \U0001F600");
  EXPECT_EQ(HtmlToText("AT&T & co"), "AT&T & co");
}

}  // namespace
}  // namespace lifeline::listen
