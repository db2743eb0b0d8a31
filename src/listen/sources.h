// Listening's sources: one poll of one term against each platform's documented API — X recent
// search, Mastodon hashtag timelines, Bluesky searchPosts (signed in), Reddit search, YouTube
// comment threads, RSS/Atom feeds — with pagination followed and rate limits read the way each
// API states them. A poll is all or nothing: an error or a rate limit mid-way keeps none of its
// pages and leaves the cursor where it was, so the next poll fetches them again (the store keeps
// each post once). docs/listening.md cites each API's reference.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/http.h"
#include "core/result.h"
#include "listen/config.h"
#include "listen/summary.h"

namespace lifeline::listen {

enum class PollOutcome {
  kOk,
  kRateLimited,  // 429 (or a quota spent): not before retry_at
  kAuth,         // 401/403: the credentials are refused
  kError,        // transport failure, 5xx, an answer that is not what the API documents
};
std::string_view PollOutcomeName(PollOutcome o);  // "ok", "rate_limited", "auth", "error"

struct PollResult {
  PollOutcome outcome = PollOutcome::kOk;
  std::vector<Post> posts;  // kOk only
  std::string cursor;  // kOk: where the next poll of this term resumes (unchanged: nothing new)
  int pages = 0;       // pages read
  std::optional<TimePoint> retry_at;  // kRateLimited: when the API says to come back
  std::string error;                  // one line, without credentials
  std::string rate_limit;             // what the API said of its limit ("12 of 60 left until T")
  // kOk: the API said its window is spent (remaining 0): not before this time.
  std::optional<TimePoint> not_before;
};

// One source. Poll is called from one worker thread at a time per source.
class Source {
 public:
  virtual ~Source() = default;
  virtual const SourceConfig& config() const = 0;
  // What this source polls for these queries: search terms (x, bluesky, reddit), hashtags without
  // '#' (mastodon: only hashtag terms), "video:ID" / "channel:ID" (youtube), feed URLs (rss).
  virtual std::vector<std::string> Terms(const std::vector<Query>& queries) const = 0;
  // Fetches what is newer than `cursor` ("" = the first poll: the newest page(s) only).
  virtual PollResult Poll(const std::string& term, const std::string& cursor, TimePoint now) = 0;
};

// `http` must outlive the source; it must not cut answers before config max_body + 1 bytes.
std::unique_ptr<Source> MakeSource(const SourceConfig& config, channels::HttpClient& http,
                                   std::size_t max_body_bytes);

// ---- the parsers, pure: each reads a documented answer ----

struct ParsedPage {
  std::vector<Post> posts;
  std::string next;    // x: meta.next_token; bluesky: cursor; reddit: data.after; youtube:
                       // nextPageToken ("" = last page)
  std::string newest;  // x: meta.newest_id
};

// GET /2/tweets/search/recent (expansions=author_id, tweet.fields=created_at,public_metrics).
core::Result<ParsedPage> ParseXSearch(std::string_view body);
// GET /api/v1/timelines/tag/:hashtag: an array of Status (content is HTML).
core::Result<ParsedPage> ParseMastodonStatuses(std::string_view body);
// app.bsky.feed.searchPosts.
core::Result<ParsedPage> ParseBlueskySearch(std::string_view body);
// Reddit's Listing of t3 (links) from /search.
core::Result<ParsedPage> ParseRedditListing(std::string_view body);
// youtube/v3/commentThreads (part=snippet).
core::Result<ParsedPage> ParseYouTubeThreads(std::string_view body);
// An RSS 2.0 / RSS 1.0 / Atom feed's items as posts (source "rss").
core::Result<ParsedPage> ParseFeedPosts(std::string_view body);

// A Link header (RFC 8288) as rel -> URL: "<https://x/a?min_id=2>; rel=\"prev\", <...>;
// rel=\"next\"".
std::map<std::string, std::string> ParseLinkHeader(std::string_view value);
// Text of Mastodon's HTML content: tags dropped (<br> and </p> as a space), entities decoded.
std::string HtmlToText(std::string_view html);

// When a rate-limited or quota-spent answer may be retried, as `kind`'s API states it:
//   x        x-rate-limit-reset: epoch seconds
//   mastodon X-RateLimit-Reset: an ISO 8601 time
//   bluesky  RateLimit-Reset: epoch seconds
//   reddit   X-Ratelimit-Reset: seconds from now
//   youtube  403 quotaExceeded / dailyLimitExceeded: the next midnight Pacific time (UTC-8)
// else Retry-After, else a minute. nullopt when the answer is not a rate limit.
std::optional<TimePoint> RateLimitedUntil(SourceKind kind, const channels::HttpResponse& r,
                                          TimePoint now);
// A successful answer that says its window is spent (x-rate-limit-remaining, X-RateLimit-Remaining,
// RateLimit-Remaining or X-Ratelimit-Remaining below 1): when the window resets, read as for
// RateLimitedUntil. nullopt while requests are left or the API sent no such header.
std::optional<TimePoint> WindowSpentUntil(SourceKind kind, const channels::HttpResponse& r,
                                          TimePoint now);

}  // namespace lifeline::listen
