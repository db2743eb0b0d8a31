// Term extraction for top terms: what is kept, what is stripped.
#include "listen/terms.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace lifeline::listen {
namespace {

using ::testing::ElementsAre;

TEST(Terms, KeepsWordsAndHashtagsDropsUrlsHandlesAndStopWords) {
  EXPECT_THAT(Terms("@Brand Is #InstagramDown for everyone?? Can't load my feed "
                    "https://t.co/AbC123 www.example.com/x"),
              ElementsAre("#instagramdown", "everyone", "can't", "load", "feed"));
}

TEST(Terms, LowerCasesAndCountsAWordOncePerPost) {
  EXPECT_THAT(Terms("DOWN down Down! Instagram's app, instagram"),
              ElementsAre("down", "instagram", "app"));
}

TEST(Terms, SplitsOnPunctuationAndKeepsInnerApostrophes) {
  // Typographic apostrophe and quotes, ellipsis, em dash, emoji as separators.
  EXPECT_THAT(Terms("It’s “broken”…again—sigh \xF0\x9F\x98\xA1 'quoted'"),
              ElementsAre("broken", "again", "sigh", "quoted"));
  EXPECT_THAT(Terms("#fail!!really (@someone) [#tag] 'don't'"),
              ElementsAre("#fail", "really", "#tag", "don't"));
}

TEST(Terms, DropsShortWordsAndShortNumbersButKeepsErrorCodes) {
  EXPECT_THAT(Terms("a b 2 42 503 error x1 café"), ElementsAre("503", "error", "x1", "café"));
}

TEST(Terms, StopWordListIsSortedUniqueAndLowerCase) {
  const auto words = StopWords();
  EXPECT_GT(words.size(), 150u);
  EXPECT_TRUE(std::is_sorted(words.begin(), words.end()));
  EXPECT_EQ(std::adjacent_find(words.begin(), words.end()), words.end());
  for (auto w : words) {
    EXPECT_TRUE(std::none_of(w.begin(), w.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) << w;
    EXPECT_TRUE(IsStopWord(w)) << w;
  }
  // Words that matter in outage chatter are not stop words.
  for (auto w : {"down", "not", "working", "again", "still", "outage"}) {
    EXPECT_FALSE(IsStopWord(w)) << w;
  }
}

}  // namespace
}  // namespace lifeline::listen
