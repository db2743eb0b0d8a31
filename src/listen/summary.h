// Posts of listening and what an hour of them says: one key per post across sources (so a post
// seen by two sources counts once), and per UTC hour the sentiment shares, the top terms and the
// most-shared posts. Pure: the store and the sources call it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "listen/series.h"
#include "listen/vader.h"

namespace lifeline::listen {

// A post as a source reports it.
struct Post {
  std::string source;  // "mastodon", "bluesky", "x", "reddit", "youtube", "facebook", "rss", ...
  std::string id;      // the source's own id
  std::string url;     // the post's canonical URL when known, else empty
  std::string author;  // the author's handle or name as the source gives it
  std::string text;
  TimePoint posted_at{};    // the platform's time of the post (not when we fetched it)
  std::int64_t shares = 0;  // reposts / retweets / boosts as the source counts them
};

// The key a post is stored under, the same whichever source brought it:
//   "url:" + NormaliseUrl(url)                       when the URL is http(s);
//   "text:" + 32 hex digits of SHA-256(NormaliseAuthor(author) "\n" NormaliseText(text))
//                                                    else, when the text is not empty;
//   "id:" + source + ":" + id                        else (no URL, no text: nothing to match on).
std::string DedupKey(const Post& post);

// https, host lower-cased without "www."/"m."/"mobile."/"old." (twitter.com is x.com), no
// userinfo, default port, fragment or trailing slash, tracking parameters (utm_*, fbclid, gclid,
// igshid, si, ref, ...; on x.com also s and t) dropped and the others sorted. "" when `url` is
// not an http(s) URL.
std::string NormaliseUrl(std::string_view url);
// Lower case (ASCII, Latin-1), URLs removed (each source shortens links its own way), whitespace
// collapsed to single spaces, trimmed.
std::string NormaliseText(std::string_view text);
// Lower case, without the leading '@' ("@Alice" and "alice" match; "@bob@mastodon.social" keeps
// its instance).
std::string NormaliseAuthor(std::string_view author);

// One post per key, in order of first appearance; of duplicates, the first one's fields are kept
// with the largest share count and the earliest posted_at among them.
std::vector<Post> Deduplicate(std::span<const Post> posts);

struct TermCount {
  std::string term;
  int posts = 0;  // posts of the hour that use it (a post counts once however often it says it)
};

struct TopPost {
  std::string key;
  std::string source;
  std::string url;
  std::string author;
  std::string text;
  TimePoint posted_at{};
  std::int64_t shares = 0;
  double compound = 0;
};

struct HourSummary {
  Hour hour{};
  int posts = 0;  // distinct posts
  // VADER's thresholds: compound >= 0.05 positive, <= -0.05 negative, else neutral.
  int positive = 0;
  int neutral = 0;
  int negative = 0;
  double mean_compound = 0;
  double share(Polarity p) const;    // of `posts`; 0 for an empty hour
  std::vector<TermCount> top_terms;  // most used first, ties alphabetical
  std::vector<TopPost> top_posts;    // most shared first (shares > 0 only), ties earliest first
};

struct SummaryOptions {
  std::size_t top_terms = 10;
  std::size_t top_posts = 5;
  // Terms every post of the query has (its own words: "instagram", "down"), left out of the top
  // terms. Lower case; "instagram" also leaves out "#instagram".
  std::vector<std::string> exclude_terms;
};

// Deduplicates `posts`, scores each with `vader` and summarises them per UTC hour of posted_at.
// Only hours with posts appear, in time order.
std::vector<HourSummary> SummariseHours(std::span<const Post> posts, const Vader& vader,
                                        const SummaryOptions& options = {});

}  // namespace lifeline::listen
