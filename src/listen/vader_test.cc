// Our VADER against the reference implementation: every sentence of
// tests/testdata/vader/expected.tsv (written by tests/tools/vader_expected.py from the reference
// vaderSentiment.py) must score within 0.001 of it.
#include "listen/vader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace lifeline::listen {
namespace {

struct Case {
  int line = 0;
  std::string rule, sentence;
  double compound = 0, pos = 0, neu = 0, neg = 0;
};

std::string Unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      const char c = s[++i];
      out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::vector<Case> LoadCases() {
  std::ifstream in(LIFELINE_SOURCE_DIR "/tests/testdata/vader/expected.tsv");
  std::vector<Case> cases;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, '\t');) f.push_back(field);
    if (f.size() == 5) f.insert(f.begin() + 1, "");  // an empty sentence
    EXPECT_EQ(f.size(), 6u) << "expected.tsv:" << n;
    if (f.size() != 6) continue;
    cases.push_back({n, f[0], Unescape(f[1]), std::stod(f[2]), std::stod(f[3]), std::stod(f[4]),
                     std::stod(f[5])});
  }
  return cases;
}

TEST(Vader, MatchesTheReferenceImplementation) {
  const auto cases = LoadCases();
  ASSERT_GE(cases.size(), 40u) << "tests/testdata/vader/expected.tsv missing or short";
  const Vader& vader = Vader::Bundled();
  for (const auto& c : cases) {
    const SentimentScores s = vader.Score(c.sentence);
    const std::string where =
        "expected.tsv:" + std::to_string(c.line) + " (" + c.rule + "): \"" + c.sentence + "\"";
    // The reference rounds compound to 4 places and the proportions to 3.
    EXPECT_NEAR(s.compound, c.compound, 0.001) << where;
    EXPECT_NEAR(s.pos, c.pos, 0.001) << where;
    EXPECT_NEAR(s.neu, c.neu, 0.001) << where;
    EXPECT_NEAR(s.neg, c.neg, 0.001) << where;
  }
}

TEST(Vader, BundledLexiconIsTheWholeFile) {
  // data/vader/vader_lexicon.txt has 7520 lines, 7506 distinct tokens (later duplicates win).
  EXPECT_EQ(Vader::Bundled().size(), 7506u);
  EXPECT_NE(BundledVaderLicense().find("Copyright (c) 2016 C.J. Hutto"), std::string_view::npos);
}

TEST(Vader, ClassifiesWithThePublishedThresholds) {
  EXPECT_EQ(Classify(0.05), Polarity::kPositive);
  EXPECT_EQ(Classify(0.0499), Polarity::kNeutral);
  EXPECT_EQ(Classify(-0.0499), Polarity::kNeutral);
  EXPECT_EQ(Classify(-0.05), Polarity::kNegative);
  const Vader& v = Vader::Bundled();
  EXPECT_EQ(Classify(v.Score("Instagram is down again and I hate it").compound),
            Polarity::kNegative);
  EXPECT_EQ(Classify(v.Score("Thanks, the support team was great").compound), Polarity::kPositive);
  EXPECT_EQ(Classify(v.Score("Is Instagram down for anyone else?").compound), Polarity::kNeutral);
}

TEST(Vader, ParsesACustomLexiconAndNamesTheBadLine) {
  auto v = Vader::Parse("good\t2.0\t0.5\t[2, 2]\r\n\nbad\t-2.5\n");
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->size(), 2u);
  EXPECT_GT(v->Score("good").compound, 0.4);
  EXPECT_LT(v->Score("bad").compound, -0.5);
  EXPECT_EQ(v->Score("great").compound, 0);  // not in this lexicon

  auto no_tab = Vader::Parse("good\t2.0\nbad -2.5\n");
  ASSERT_FALSE(no_tab.ok());
  EXPECT_EQ(no_tab.error().message(), "line 2: expected \"token<TAB>valence\", got \"bad -2.5\"");
  auto nan = Vader::Parse("good\tvery\n");
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.error().message(), "line 1: valence \"very\" of \"good\" is not a number");
  EXPECT_FALSE(Vader::Parse("\n\n").ok());
}

TEST(Vader, EmojiCarryNoValenceAndDoNotBreakScoring) {
  // The reference turns emoji into their descriptions; we do not (docs/listening.md).
  const Vader& v = Vader::Bundled();
  EXPECT_EQ(v.Score("\xF0\x9F\x98\x81").compound, 0);  // U+1F601 alone
  EXPECT_NEAR(v.Score("good \xF0\x9F\x98\x81").compound, v.Score("good").compound, 1e-12);
  // Malformed UTF-8 is scored, not rejected.
  EXPECT_GT(v.Score("great \xC3 \xFF day").compound, 0.5);
}

}  // namespace
}  // namespace lifeline::listen
