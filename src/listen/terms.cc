// Term extraction for top terms (terms.h), with our own English stop-word list.
#include "listen/terms.h"

#include <algorithm>
#include <array>

#include "listen/text.h"

namespace lifeline::listen {
namespace {

// Function words, auxiliaries and contractions (with and without the apostrophe, as people
// type them), plus social-media filler ("rt", "via", "amp" from &amp;). Words that carry
// meaning in outage chatter ("down", "not", "working", "again", "still") are deliberately absent.
// Sorted (a test checks), so lookups are a binary search.
constexpr std::array<std::string_view, 190> kStopWords = {
    "a",       "about",      "above",   "after",    "against",    "all",     "also",    "am",
    "amp",     "an",         "and",     "any",      "are",        "aren't",  "arent",   "as",
    "at",      "be",         "been",    "before",   "being",      "below",   "between", "both",
    "but",     "by",         "can",     "could",    "couldn't",   "couldnt", "did",     "do",
    "does",    "doing",      "during",  "each",     "else",       "etc",     "even",    "ever",
    "every",   "few",        "for",     "from",     "further",    "get",     "gets",    "got",
    "gt",      "had",        "has",     "have",     "having",     "he",      "he'd",    "he'll",
    "he's",    "her",        "here",    "hers",     "herself",    "him",     "himself", "his",
    "how",     "i",          "i'd",     "i'll",     "i'm",        "i've",    "id",      "if",
    "im",      "in",         "into",    "is",       "it",         "it'd",    "it'll",   "it's",
    "its",     "itself",     "ive",     "just",     "let's",      "lets",    "lol",     "lt",
    "me",      "more",       "most",    "my",       "myself",     "of",      "off",     "oh",
    "ok",      "on",         "once",    "one",      "only",       "or",      "other",   "our",
    "ours",    "ourselves",  "out",     "over",     "own",        "please",  "pls",     "rt",
    "same",    "she",        "she'd",   "she'll",   "she's",      "should",  "so",      "some",
    "such",    "than",       "that",    "that's",   "thats",      "the",     "their",   "theirs",
    "them",    "themselves", "then",    "there",    "there's",    "these",   "they",    "they'd",
    "they'll", "they're",    "they've", "theyre",   "this",       "those",   "though",  "through",
    "to",      "too",        "u",       "under",    "until",      "up",      "ur",      "us",
    "very",    "via",        "was",     "we",       "we'd",       "we'll",   "we're",   "we've",
    "were",    "what",       "what's",  "whats",    "when",       "where",   "which",   "while",
    "who",     "whom",       "why",     "will",     "with",       "would",   "ya",      "yeah",
    "yes",     "yet",        "yo",      "you",      "you'd",      "you'll",  "you're",  "you've",
    "your",    "youre",      "yours",   "yourself", "yourselves", "youve"};

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != prefix[i]) return false;
  }
  return true;
}

enum class Kind { kWord, kApostrophe, kSeparator };

Kind KindOf(char32_t c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
    return Kind::kWord;
  }
  if (c == '\'' || c == 0x2019) return Kind::kApostrophe;
  if (c < 0x80) return Kind::kSeparator;
  // Latin-1 punctuation and symbols (« » ¡ ¿ ·), general punctuation (dashes, quotes, …), CJK
  // punctuation, and symbols and emoji: separators. Other characters are letters.
  if ((c >= 0xA0 && c <= 0xBF) || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x206F) ||
      (c >= 0x3000 && c <= 0x303F) || (c >= 0x2190 && c <= 0x2BFF) || (c >= 0x1F000) ||
      c == 0xFE0F || c == 0xFFFD) {
    return Kind::kSeparator;
  }
  return Kind::kWord;
}

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void Keep(std::string word, bool hashtag, std::vector<std::string>& out) {
  // Apostrophes only inside a word; "instagram's" counts as "instagram".
  while (!word.empty() && word.back() == '\'') word.pop_back();
  std::size_t lead = 0;
  while (lead < word.size() && word[lead] == '\'') ++lead;
  word.erase(0, lead);
  if (word.size() > 2 && word.ends_with("'s")) word.resize(word.size() - 2);
  word = text::Lower(word);
  if (hashtag) {
    if (word.empty()) return;
    word.insert(word.begin(), '#');
  } else {
    if (text::CodePoints(word) < 2 || (AllDigits(word) && word.size() < 3) || IsStopWord(word)) {
      return;
    }
  }
  if (std::find(out.begin(), out.end(), word) == out.end()) out.push_back(std::move(word));
}

}  // namespace

bool IsStopWord(std::string_view word) {
  return std::binary_search(kStopWords.begin(), kStopWords.end(), word);
}

std::span<const std::string_view> StopWords() { return kStopWords; }

std::vector<std::string> Terms(std::string_view input) {
  std::vector<std::string> out;
  for (std::string_view token : text::SplitWhitespace(input)) {
    if (StartsWithNoCase(token, "http://") || StartsWithNoCase(token, "https://") ||
        StartsWithNoCase(token, "www.")) {
      continue;
    }
    // Leading punctuation such as "(" or a quote before a handle or a tag.
    std::size_t i = 0;
    while (i < token.size() && (token[i] == '(' || token[i] == '"' || token[i] == '[')) ++i;
    if (i < token.size() && token[i] == '@') continue;
    bool hashtag = i < token.size() && token[i] == '#';
    if (hashtag) ++i;
    std::string word;
    while (i < token.size()) {
      std::size_t len;
      const Kind k = KindOf(text::Decode(token, i, len));
      if (k == Kind::kWord) {
        word.append(token.substr(i, len));
      } else if (k == Kind::kApostrophe && !hashtag) {
        word += '\'';
      } else {
        Keep(std::move(word), hashtag, out);
        word.clear();
        hashtag = false;  // "#fail!!really": the tag ends at the first separator
      }
      i += len;
    }
    Keep(std::move(word), hashtag, out);
  }
  return out;
}

}  // namespace lifeline::listen
