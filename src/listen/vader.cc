// VADER's scoring rules (vader.h), written after the reference vaderSentiment.py and checked
// against it sentence by sentence (vader_test.cc, tests/tools/vader_expected.py). Where the
// reference has quirks (which words "so"/"this" amplify, how "but" re-weights equal values), we
// keep them: the point is to give the scores the paper and the reference give.
#include "listen/vader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <vector>

#include <fmt/core.h>

#include "listen/text.h"

namespace lifeline::listen {
namespace {

// The reference's empirically derived constants.
constexpr double kBIncr = 0.293;        // a booster word ("very")
constexpr double kBDecr = -0.293;       // a dampener ("slightly")
constexpr double kCIncr = 0.733;        // a word in ALL CAPS among mixed-case words
constexpr double kNScalar = -0.74;      // a negation flips and dampens
constexpr double kAlpha = 15;           // compound = x / sqrt(x^2 + alpha)
constexpr double kExclamation = 0.292;  // per '!', up to four
constexpr int kMaxExclamations = 4;
constexpr double kQuestion = 0.18;       // per '?' for two or three
constexpr double kManyQuestions = 0.96;  // four or more

// Words that negate what follows (the reference's NEGATE); any word containing "n't" does too.
constexpr std::array<std::string_view, 59> kNegate = {
    "aint",   "arent",    "cannot",  "cant",     "couldnt",  "darent",   "didnt",   "doesnt",
    "ain't",  "aren't",   "can't",   "couldn't", "daren't",  "didn't",   "doesn't", "dont",
    "hadnt",  "hasnt",    "havent",  "isnt",     "mightnt",  "mustnt",   "neither", "don't",
    "hadn't", "hasn't",   "haven't", "isn't",    "mightn't", "mustn't",  "neednt",  "needn't",
    "never",  "none",     "nope",    "nor",      "not",      "nothing",  "nowhere", "oughtnt",
    "shant",  "shouldnt", "uhuh",    "wasnt",    "werent",   "oughtn't", "shan't",  "shouldn't",
    "uh-uh",  "wasn't",   "weren't", "without",  "wont",     "wouldnt",  "won't",   "wouldn't",
    "rarely", "seldom",   "despite"};

struct Weighted {
  std::string_view word;
  double value;
};

// Degree adverbs: boosters add kBIncr to the valence of the word they precede, dampeners take it
// away (the reference's BOOSTER_DICT, multi-word entries included).
constexpr Weighted kBoosters[] = {
    {"absolutely", kBIncr},    {"amazingly", kBIncr},    {"awfully", kBIncr},
    {"completely", kBIncr},    {"considerable", kBIncr}, {"considerably", kBIncr},
    {"decidedly", kBIncr},     {"deeply", kBIncr},       {"effing", kBIncr},
    {"enormous", kBIncr},      {"enormously", kBIncr},   {"entirely", kBIncr},
    {"especially", kBIncr},    {"exceptional", kBIncr},  {"exceptionally", kBIncr},
    {"extreme", kBIncr},       {"extremely", kBIncr},    {"fabulously", kBIncr},
    {"flipping", kBIncr},      {"flippin", kBIncr},      {"frackin", kBIncr},
    {"fracking", kBIncr},      {"fricking", kBIncr},     {"frickin", kBIncr},
    {"frigging", kBIncr},      {"friggin", kBIncr},      {"fully", kBIncr},
    {"fuckin", kBIncr},        {"fucking", kBIncr},      {"fuggin", kBIncr},
    {"fugging", kBIncr},       {"greatly", kBIncr},      {"hella", kBIncr},
    {"highly", kBIncr},        {"hugely", kBIncr},       {"incredible", kBIncr},
    {"incredibly", kBIncr},    {"intensely", kBIncr},    {"major", kBIncr},
    {"majorly", kBIncr},       {"more", kBIncr},         {"most", kBIncr},
    {"particularly", kBIncr},  {"purely", kBIncr},       {"quite", kBIncr},
    {"really", kBIncr},        {"remarkably", kBIncr},   {"so", kBIncr},
    {"substantially", kBIncr}, {"thoroughly", kBIncr},   {"total", kBIncr},
    {"totally", kBIncr},       {"tremendous", kBIncr},   {"tremendously", kBIncr},
    {"uber", kBIncr},          {"unbelievably", kBIncr}, {"unusually", kBIncr},
    {"utter", kBIncr},         {"utterly", kBIncr},      {"very", kBIncr},
    {"almost", kBDecr},        {"barely", kBDecr},       {"hardly", kBDecr},
    {"just enough", kBDecr},   {"kind of", kBDecr},      {"kinda", kBDecr},
    {"kindof", kBDecr},        {"kind-of", kBDecr},      {"less", kBDecr},
    {"little", kBDecr},        {"marginal", kBDecr},     {"marginally", kBDecr},
    {"occasional", kBDecr},    {"occasionally", kBDecr}, {"partly", kBDecr},
    {"scarce", kBDecr},        {"scarcely", kBDecr},     {"slight", kBDecr},
    {"slightly", kBDecr},      {"somewhat", kBDecr},     {"sort of", kBDecr},
    {"sorta", kBDecr},         {"sortof", kBDecr},       {"sort-of", kBDecr}};

// Idioms whose valence replaces that of the lexicon word inside them (the reference's
// SPECIAL_CASES; its idioms without a lexicon word are "future work" there and not used).
constexpr Weighted kSpecialCases[] = {
    {"the shit", 3},        {"the bomb", 3},       {"bad ass", 1.5},        {"badass", 1.5},
    {"bus stop", 0.0},      {"yeah right", -2},    {"kiss of death", -1.5}, {"to die for", 3},
    {"beating heart", 3.1}, {"broken heart", -2.9}};

template <std::size_t N>
std::optional<double> Find(const Weighted (&table)[N], std::string_view key) {
  for (const auto& e : table) {
    if (e.word == key) return e.value;
  }
  return std::nullopt;
}

// kBoosters as a hash map: looked up for every token.
std::optional<double> Booster(std::string_view lower) {
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static const auto* const kMap = [] {
    auto* m = new std::unordered_map<std::string_view, double, Hash, std::equal_to<>>();
    for (const auto& e : kBoosters) m->emplace(e.word, e.value);
    return m;
  }();
  if (auto it = kMap->find(lower); it != kMap->end()) return it->second;
  return std::nullopt;
}

bool Negated(std::string_view lower) {
  return std::find(kNegate.begin(), kNegate.end(), lower) != kNegate.end() ||
         lower.find("n't") != std::string_view::npos;
}

// A token of the text: whitespace-separated, leading and trailing punctuation stripped unless
// that leaves two characters or fewer (then it is kept whole: ":)" or "no," stay as they are).
struct Word {
  std::string_view text;
  std::string lower;
  bool upper = false;             // Python's isupper(): "SUX!" yes, ":)" no
  std::optional<double> lexicon;  // the lexicon's valence of `lower`
  std::optional<double> booster;  // the degree adverb's weight of `lower`
};

std::string_view StripPunct(std::string_view token) {
  std::string_view s = token;
  while (!s.empty() && text::IsAsciiPunct(s.front())) s.remove_prefix(1);
  while (!s.empty() && text::IsAsciiPunct(s.back())) s.remove_suffix(1);
  return text::CodePoints(s) <= 2 ? token : s;
}

std::string Join(std::string_view a, std::string_view b) {
  std::string s(a);
  s += ' ';
  s += b;
  return s;
}

std::string Join(std::string_view a, std::string_view b, std::string_view c) {
  return Join(Join(a, b), c);
}

class Scorer {
 public:
  Scorer(std::vector<Word> words, bool cap_differential)
      : w_(std::move(words)), cap_diff_(cap_differential) {}

  std::vector<double> Sentiments() const {
    std::vector<double> s;
    s.reserve(w_.size());
    for (std::size_t i = 0; i < w_.size(); ++i) {
      // Degree adverbs and "kind of" modify their neighbours and carry nothing themselves.
      if (w_[i].booster || (i + 1 < w_.size() && w_[i].lower == "kind" && L(i + 1) == "of")) {
        s.push_back(0);
        continue;
      }
      s.push_back(Valence(i));
    }
    ButCheck(s);
    return s;
  }

 private:
  const std::string& L(std::size_t i) const { return w_[i].lower; }
  bool InLexicon(std::size_t i) const { return w_[i].lexicon.has_value(); }

  double Valence(std::size_t i) const {
    if (!w_[i].lexicon) return 0;
    const double base = *w_[i].lexicon;
    double v = base;
    // "no" before a lexicon word negates that word instead of counting as negative itself.
    if (L(i) == "no" && i + 1 < w_.size() && InLexicon(i + 1)) v = 0;
    if ((i > 0 && L(i - 1) == "no") || (i > 1 && L(i - 2) == "no") ||
        (i > 2 && L(i - 3) == "no" && (L(i - 1) == "or" || L(i - 1) == "nor"))) {
      v = base * kNScalar;
    }
    if (w_[i].upper && cap_diff_) v += v > 0 ? kCIncr : -kCIncr;
    // The three words before: boosters (weaker with distance), negations, idioms.
    for (std::size_t back = 0; back < 3; ++back) {
      if (i <= back || InLexicon(i - back - 1)) continue;
      double s = BoosterScalar(w_[i - back - 1], v);
      if (back == 1 && s != 0) s *= 0.95;
      if (back == 2 && s != 0) s *= 0.9;
      v += s;
      v = NegationCheck(v, back, i);
      if (back == 2) v = SpecialIdioms(v, i);
    }
    return LeastCheck(v, i);
  }

  double BoosterScalar(const Word& word, double valence) const {
    if (!word.booster) return 0;
    double s = *word.booster;
    if (valence < 0) s = -s;
    if (word.upper && cap_diff_) s += valence > 0 ? kCIncr : -kCIncr;
    return s;
  }

  double NegationCheck(double v, std::size_t back, std::size_t i) const {
    auto so_or_this = [&](std::size_t k) { return L(k) == "so" || L(k) == "this"; };
    if (back == 0) {
      if (Negated(L(i - 1))) v *= kNScalar;
    } else if (back == 1) {
      if (L(i - 2) == "never" && so_or_this(i - 1)) {
        v *= 1.25;  // "never so good": emphasis, not negation
      } else if (L(i - 2) == "without" && L(i - 1) == "doubt") {
        // "without doubt good": no negation
      } else if (Negated(L(i - 2))) {
        v *= kNScalar;
      }
    } else {
      // As the reference: "so"/"this" right before the word amplifies even without "never".
      if ((L(i - 3) == "never" && so_or_this(i - 2)) || so_or_this(i - 1)) {
        v *= 1.25;
      } else if (L(i - 3) == "without" && (L(i - 2) == "doubt" || L(i - 1) == "doubt")) {
        // no negation
      } else if (Negated(L(i - 3))) {
        v *= kNScalar;
      }
    }
    return v;
  }

  double SpecialIdioms(double v, std::size_t i) const {  // i >= 3
    const std::string sequences[] = {Join(L(i - 1), L(i)), Join(L(i - 2), L(i - 1), L(i)),
                                     Join(L(i - 2), L(i - 1)), Join(L(i - 3), L(i - 2), L(i - 1)),
                                     Join(L(i - 3), L(i - 2))};
    for (const auto& seq : sequences) {
      if (auto special = Find(kSpecialCases, seq)) {
        v = *special;
        break;
      }
    }
    if (i + 1 < w_.size()) {
      if (auto special = Find(kSpecialCases, Join(L(i), L(i + 1)))) v = *special;
    }
    if (i + 2 < w_.size()) {
      if (auto special = Find(kSpecialCases, Join(L(i), L(i + 1), L(i + 2)))) v = *special;
    }
    // Multi-word dampeners before the word ("sort of nice").
    for (const std::string* ngram : {&sequences[3], &sequences[4], &sequences[2]}) {
      if (auto b = Booster(*ngram)) v += *b;
    }
    return v;
  }

  double LeastCheck(double v, std::size_t i) const {
    // "least good" negates; "at least good" and "very least good" do not.
    if (i > 1 && !InLexicon(i - 1) && L(i - 1) == "least") {
      if (L(i - 2) != "at" && L(i - 2) != "very") v *= kNScalar;
    } else if (i > 0 && !InLexicon(i - 1) && L(i - 1) == "least") {
      v *= kNScalar;
    }
    return v;
  }

  // After the first "but", what came before counts half and what follows one and a half times.
  // As the reference, each value is re-weighted where its first equal value sits.
  void ButCheck(std::vector<double>& s) const {
    std::size_t but = 0;
    while (but < w_.size() && L(but) != "but") ++but;
    if (but == w_.size()) return;
    for (std::size_t p = 0; p < s.size(); ++p) {
      const double value = s[p];
      const auto si = static_cast<std::size_t>(std::find(s.begin(), s.end(), value) - s.begin());
      if (si < but) {
        s[si] = value * 0.5;
      } else if (si > but) {
        s[si] = value * 1.5;
      }
    }
  }

  std::vector<Word> w_;
  bool cap_diff_;
};

double PunctuationEmphasis(std::string_view text) {
  const auto ep = std::min<long>(std::count(text.begin(), text.end(), '!'), kMaxExclamations);
  const auto qm = std::count(text.begin(), text.end(), '?');
  double amp = static_cast<double>(ep) * kExclamation;
  if (qm > 1) amp += qm <= 3 ? static_cast<double>(qm) * kQuestion : kManyQuestions;
  return amp;
}

SentimentScores Summarise(const std::vector<double>& sentiments, std::string_view text) {
  SentimentScores r;
  if (sentiments.empty()) return r;
  double sum = 0;
  for (double s : sentiments) sum += s;
  const double amp = PunctuationEmphasis(text);
  if (sum > 0) {
    sum += amp;
  } else if (sum < 0) {
    sum -= amp;
  }
  r.compound = std::clamp(sum / std::sqrt(sum * sum + kAlpha), -1.0, 1.0);
  // Each word with valence counts one more than its valence, so that neutral words (1 each)
  // weigh against it on the same scale.
  double pos = 0, neg = 0, neu = 0;
  for (double s : sentiments) {
    if (s > 0) pos += s + 1;
    if (s < 0) neg += s - 1;
    if (s == 0) neu += 1;
  }
  if (pos > std::fabs(neg)) {
    pos += amp;
  } else if (pos < std::fabs(neg)) {
    neg -= amp;
  }
  const double total = pos + std::fabs(neg) + neu;
  r.pos = std::fabs(pos / total);
  r.neg = std::fabs(neg / total);
  r.neu = std::fabs(neu / total);
  return r;
}

}  // namespace

Polarity Classify(double compound) {
  if (compound >= kPolarityThreshold) return Polarity::kPositive;
  if (compound <= -kPolarityThreshold) return Polarity::kNegative;
  return Polarity::kNeutral;
}

std::string_view PolarityName(Polarity p) {
  switch (p) {
    case Polarity::kNegative:
      return "negative";
    case Polarity::kNeutral:
      return "neutral";
    case Polarity::kPositive:
      return "positive";
  }
  return "neutral";
}

const Vader& Vader::Bundled() {
  static const Vader* const kBundled = [] {
    auto v = Parse(BundledVaderLexicon());
    if (!v.ok()) {
      // The build embedded a lexicon that does not parse: a broken build, not a runtime state.
      fmt::print(stderr, "bundled VADER lexicon: {}\n", v.error().message());
      std::abort();
    }
    return new Vader(std::move(v).value());
  }();
  return *kBundled;
}

core::Result<Vader> Vader::Parse(std::string_view lexicon) {
  Lexicon lex;
  lex.reserve(8192);
  std::size_t line_no = 0;
  while (!lexicon.empty()) {
    const std::size_t nl = lexicon.find('\n');
    std::string_view line = lexicon.substr(0, nl);
    lexicon.remove_prefix(nl == std::string_view::npos ? lexicon.size() : nl + 1);
    ++line_no;
    // Surrounding whitespace (a CRLF file's \r) is ignored, as the reference's line.strip().
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    if (line.empty()) continue;
    const std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "line {}: expected \"token<TAB>valence\", got \"{}\"", line_no, line);
    }
    std::string_view measure = line.substr(tab + 1);
    measure = measure.substr(0, measure.find('\t'));
    double value = 0;
    const auto [end, ec] = std::from_chars(measure.data(), measure.data() + measure.size(), value);
    if (ec != std::errc() || end != measure.data() + measure.size() || !std::isfinite(value)) {
      return core::MakeError(core::ErrorCode::kInvalidArgument,
                             "line {}: valence \"{}\" of \"{}\" is not a number", line_no, measure,
                             line.substr(0, tab));
    }
    lex.insert_or_assign(std::string(line.substr(0, tab)), value);
  }
  if (lex.empty()) return core::MakeError(core::ErrorCode::kInvalidArgument, "empty lexicon");
  return Vader(std::move(lex));
}

SentimentScores Vader::Score(std::string_view input) const {
  std::vector<Word> words;
  std::size_t upper = 0;
  for (std::string_view token : text::SplitWhitespace(input)) {
    Word w;
    w.text = StripPunct(token);
    w.lower = text::Lower(w.text);
    w.upper = text::IsUpper(w.text);
    if (auto it = lexicon_.find(std::string_view(w.lower)); it != lexicon_.end()) {
      w.lexicon = it->second;
    }
    w.booster = Booster(w.lower);
    if (w.upper) ++upper;
    words.push_back(std::move(w));
  }
  // Capitals emphasise only when some words, not all, are in capitals.
  const bool cap_differential = upper > 0 && upper < words.size();
  Scorer scorer(std::move(words), cap_differential);
  return Summarise(scorer.Sentiments(), input);
}

}  // namespace lifeline::listen
