// The terms of a post, for "top terms per hour": lower-cased words with English stop words removed,
// URLs and @handles stripped, hashtags kept with their '#'.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::listen {

// The distinct terms of `text`, in order of first appearance. A word is a run of letters, digits
// and inner apostrophes ("don't"; a typographic ’ counts as '), lower-cased for ASCII and Latin-1;
// a trailing "'s" is dropped ("instagram's" -> "instagram"). Dropped: tokens that are URLs
// (http://, https://, www.), @handles, stop words, one-character words and numbers of fewer than
// three digits ("503" stays). Hashtags are kept as "#tag".
std::vector<std::string> Terms(std::string_view text);

// `word` (lower case) is in our English stop-word list (terms.cc).
bool IsStopWord(std::string_view word);

// The stop-word list itself, sorted: for tests and docs.
std::span<const std::string_view> StopWords();

}  // namespace lifeline::listen
