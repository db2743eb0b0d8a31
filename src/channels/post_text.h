// Text measures of the public-post channels (Mastodon, Bluesky, X), which each count length their
// own way: links found with their UTF-8 byte ranges (Bluesky facets), graphemes (Bluesky's 300),
// Mastodon's count (a link is 23), and X's weighted count (twitter-text v3: CJK and emoji weigh 2,
// a link 23). Pure functions on UTF-8.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lifeline::channels::post_text {

// A span of the text, in UTF-8 bytes [start, end), with what it is.
struct Span {
  std::size_t start = 0;
  std::size_t end = 0;
  std::string value;  // the URL, or the tag without '#'
};

// http:// and https:// links, trailing punctuation left out ("see https://x.io/a." links
// "https://x.io/a"; a closing parenthesis stays when the link opened one).
std::vector<Span> FindLinks(std::string_view text);

// "#tag" after the start or white space: letters, digits, '_' and any non-ASCII character, not
// only digits, at most 64 characters (Bluesky's tag facet). Trailing punctuation is left out.
std::vector<Span> FindHashtags(std::string_view text);

// Links without a scheme that X still counts as links ("example.com/status"): a dotted name
// ending in a letter-only top-level label of two or more letters.
std::vector<Span> FindBareDomains(std::string_view text);

// User-perceived characters, close to Unicode's extended grapheme clusters: CR LF, combining
// marks, variation selectors, emoji modifiers and tags, ZWJ sequences and regional-indicator
// pairs join the character before them. Where it differs from full UAX #29 it counts more, never
// fewer, so a text it accepts is within the far side's limit.
std::size_t Graphemes(std::string_view text);

// Mastodon's status length: code points, every http(s) link counting 23 whatever its length, and
// a mention "@user@server" counting as "@user" (Mastodon's StatusLengthValidator).
std::size_t MastodonLength(std::string_view text);

// X's weighted length (twitter-text v3 config: scale 100, default weight 200; U+0000-U+10FF,
// U+2000-U+200D, U+2010-U+201F and U+2032-U+2037 weigh 100; an emoji sequence weighs 200 as a
// whole; a link weighs 23). Links without a scheme count as at least 23, so the result is never
// below what X computes. X normalizes to NFC first; text is taken as it is.
std::size_t XWeightedLength(std::string_view text);

}  // namespace lifeline::channels::post_text
