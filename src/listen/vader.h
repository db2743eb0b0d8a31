// Sentiment of a post with VADER (Hutto & Gilbert, ICWSM 2014): a lexicon of rated words plus
// rules for boosters, capitals, negation, "but", punctuation. Our C++ port of the reference
// algorithm (github.com/cjhutto/vaderSentiment, MIT); the lexicon is embedded at build time from
// data/vader/. docs/listening.md says what it does and does not handle.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/result.h"

namespace lifeline::listen {

// The polarity scores of one text, as the reference's polarity_scores() returns them but not
// rounded. compound is in [-1, 1]; pos + neu + neg is 1 (all 0 for a text without words).
struct SentimentScores {
  double compound = 0;
  double pos = 0;
  double neu = 0;
  double neg = 0;
};

enum class Polarity { kNegative, kNeutral, kPositive };

// VADER's published thresholds: compound >= 0.05 positive, <= -0.05 negative, else neutral.
inline constexpr double kPolarityThreshold = 0.05;
Polarity Classify(double compound);
std::string_view PolarityName(Polarity p);  // "negative", "neutral", "positive"

// The lexicon and licence compiled into the binary (generated from data/vader/ by
// src/listen/embed_vader.cmake): "token<TAB>mean valence" lines, and VADER's MIT licence text.
std::string_view BundledVaderLexicon();
std::string_view BundledVaderLicense();

// A VADER scorer over one lexicon. Immutable after construction: Score() is const and safe to
// call from any number of threads at once.
class Vader {
 public:
  // The scorer over the bundled lexicon, parsed once on first use.
  static const Vader& Bundled();

  // Parses a lexicon in the reference's format: one "token<TAB>valence[<TAB>...]" per line, blank
  // lines ignored, later duplicates win. Errors name the line: "line 12: expected ...".
  [[nodiscard]] static core::Result<Vader> Parse(std::string_view lexicon);

  // English text, UTF-8. Emoji are not translated to words (the reference does): they only
  // separate or belong to tokens, and carry no valence of their own.
  SentimentScores Score(std::string_view text) const;

  std::size_t size() const { return lexicon_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Lexicon = std::unordered_map<std::string, double, Hash, std::equal_to<>>;

  explicit Vader(Lexicon lexicon) : lexicon_(std::move(lexicon)) {}

  Lexicon lexicon_;
};

}  // namespace lifeline::listen
