// Tests of the public-post text measures: links and hashtags with UTF-8 byte ranges, graphemes,
// Mastodon's length, and X's weighted length.
#include "channels/post_text.h"

#include <gtest/gtest.h>

namespace lifeline::channels::post_text {
namespace {

TEST(FindLinks, LeavesOutTrailingPunctuation) {
  auto links = FindLinks("See https://status.example.com/incidents/1. Or (https://x.io/a_(b)).");
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].value, "https://status.example.com/incidents/1");
  EXPECT_EQ(links[1].value, "https://x.io/a_(b)");
  EXPECT_TRUE(FindLinks("no links here, nohttps://x.io either").empty());
  EXPECT_TRUE(FindLinks("https://").empty());
}

TEST(FindLinks, OffsetsAreUtf8Bytes) {
  std::string text = "Olá 👋 https://t.me/brand agora";
  auto links = FindLinks(text);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].start, 10u);  // O l á(2) space 👋(4) space
  EXPECT_EQ(links[0].end, 10u + std::string("https://t.me/brand").size());
  EXPECT_EQ(text.substr(links[0].start, links[0].end - links[0].start), "https://t.me/brand");
}

TEST(FindHashtags, FindsTagsNotNumbersOrLinks) {
  std::string text = "#WhatsAppDown hits #2024 users, see https://x.io/#frag #ok! #Ausfälle";
  auto tags = FindHashtags(text);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].value, "WhatsAppDown");
  EXPECT_EQ(tags[0].start, 0u);
  EXPECT_EQ(tags[1].value, "ok");
  EXPECT_EQ(tags[2].value, "Ausfälle");
  EXPECT_EQ(text.substr(tags[2].start, tags[2].end - tags[2].start), "#Ausfälle");
}

TEST(Graphemes, CountsWhatAPersonSees) {
  EXPECT_EQ(Graphemes("abc"), 3u);
  EXPECT_EQ(Graphemes("e\xCC\x81"), 1u);           // e + combining acute
  EXPECT_EQ(Graphemes("👨‍👩‍👧"), 1u);  // a ZWJ family
  EXPECT_EQ(Graphemes("👍🏽"), 1u);            // with a skin tone
  EXPECT_EQ(Graphemes("🇧🇷🇵🇹"), 2u);                // two flags
  EXPECT_EQ(Graphemes("1️⃣"), 1u);             // keycap
  EXPECT_EQ(Graphemes("a\r\nb"), 3u);
  EXPECT_EQ(Graphemes(""), 0u);
}

TEST(MastodonLength, LinksCount23AndMentionsOnlyTheirUser) {
  EXPECT_EQ(MastodonLength("hello"), 5u);
  EXPECT_EQ(MastodonLength("hi https://status.example.com/" + std::string(100, 'a')), 3u + 23u);
  EXPECT_EQ(MastodonLength("hi http://a.io"), 3u + 23u);  // short links count 23 as well
  EXPECT_EQ(MastodonLength("@brand@mastodon.social hi"), 9u);
  EXPECT_EQ(MastodonLength("Olá"), 3u);
}

TEST(XWeightedLength, FollowsTwitterTextV3) {
  EXPECT_EQ(XWeightedLength("hello"), 5u);
  EXPECT_EQ(XWeightedLength(std::string(280, 'a')), 280u);
  EXPECT_EQ(XWeightedLength("日本語"), 6u);
  EXPECT_EQ(XWeightedLength("é"), 1u);  // U+00E9, in the first light range
  EXPECT_EQ(XWeightedLength("—"), 1u);  // U+2014, in U+2010-U+201F
  EXPECT_EQ(XWeightedLength("…"), 2u);  // U+2026, outside the light ranges
  EXPECT_EQ(XWeightedLength("😀"), 2u);
  EXPECT_EQ(XWeightedLength("👨‍👩‍👧"), 2u);  // one emoji sequence
  EXPECT_EQ(XWeightedLength("a https://status.example.com/incidents/12345 b"), 27u);
  EXPECT_EQ(XWeightedLength("see example.com"), 4u + 23u);
  EXPECT_EQ(XWeightedLength("write to ops@example.com"), 24u) << "an address is not a link";
}

}  // namespace
}  // namespace lifeline::channels::post_text
