// Listening's config section, `listen:`, read and checked at start-up with FILE:LINE: KEY errors:
// the queries (a brand's mentions and hashtags, outage chatter per catalog platform), the sources
// with their credentials and poll intervals, and the spike detector's thresholds.
// docs/listening.md describes every key.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/result.h"
#include "listen/spike.h"

namespace lifeline::listen {

// What a query is about.
enum class QueryKind { kMentions, kHashtags, kChatter };
std::string_view QueryKindName(QueryKind k);  // "mentions", "hashtags", "chatter"

// One series of hourly counts: a brand's mentions, its hashtags, or a platform's outage chatter.
// A post belongs to every query one of whose terms it says (Matches).
struct Query {
  std::string id;  // "brand:acme:mentions", "brand:acme:hashtags", "chatter:instagram"
  QueryKind kind = QueryKind::kMentions;
  std::string brand;     // for mentions / hashtags
  std::string platform;  // for chatter: a catalog platform id
  std::string platform_name;
  // Phrases ("instagram down", "@acme") and hashtags ("#instagramdown"), as written.
  std::vector<std::string> terms;
  // Words every post of the query has, left out of the hour's top terms.
  std::vector<std::string> exclude_terms;
  int line = 0;

  // Whether `text` says one of the terms: a hashtag as a whole tag ("#instagramdown" but not
  // "#instagramdownload"), a phrase as whole words, both ignoring case.
  bool Matches(std::string_view text) const;
};

// The default chatter terms of a platform: "NAME down", "#IDdown", "is NAME down" (NAME in lower
// case; a name of several words also gives the hashtag without spaces).
std::vector<std::string> DefaultChatterTerms(std::string_view id, std::string_view name);

// Which API a source speaks.
// kFacebookPage is not polled: the Page's `feed` webhook delivers to
// /v1/listening/webhooks/{source} (page_feed.h).
enum class SourceKind { kX, kMastodon, kBluesky, kReddit, kYouTube, kRss, kFacebookPage };
std::string_view SourceKindName(SourceKind k);  // "x", "mastodon", ..., "facebook_page"

struct SourceConfig {
  std::string name;  // the key under listen.sources ("x", "mastodon-social", ...)
  SourceKind kind = SourceKind::kX;
  std::string base_url;                   // the API's root (defaults per kind)
  std::chrono::milliseconds interval{0};  // between two polls of one term
  std::chrono::milliseconds timeout{15000};
  int max_pages = 5;  // pages followed per poll of one term
  // Credentials, read from { env } / { file }: never logged, never in an answer.
  std::string token;       // x: bearer token; mastodon: access token (optional); reddit: a
                           // ready bearer token (optional)
  std::string identifier;  // bluesky: handle or DID
  std::string password;    // bluesky: app password; reddit: client secret
  std::string client_id;   // reddit
  std::string auth_url;    // reddit: the token endpoint; bluesky: the PDS (createSession)
  std::string user_agent;  // reddit asks for a descriptive one
  std::string api_key;     // youtube
  std::vector<std::string> video_ids;    // youtube: videoId filters
  std::vector<std::string> channel_ids;  // youtube: allThreadsRelatedToChannelId filters
  std::vector<std::string> feeds;        // rss: feed URLs
  // mastodon: one long-lived connection per hashtag to the streaming API (stream.h) instead of
  // polling; the timeline is polled to catch up after each (re)connection.
  bool streaming = false;
  std::string streaming_url;  // mastodon: the streaming API's root ("" = base_url)
  // facebook_page: the app secret (X-Hub-Signature-256), the verify token of the subscription
  // (GET hub.challenge), and the Pages whose feed is taken (others are refused).
  std::string app_secret;
  std::string verify_token;
  std::vector<std::string> page_ids;
  int line = 0;
};

struct ListenConfig {
  bool configured = false;
  std::vector<Query> queries;  // config order: brands first, then chatter
  std::vector<SourceConfig> sources;
  SpikeConfig spike;
  std::size_t max_body_bytes = 4 << 20;  // an answer longer than this is refused, nothing stored
  std::string file;

  const Query* FindQuery(std::string_view id) const;
};

// Reads `listen:` from `config` (an empty ListenConfig without one). kInvalidArgument
// "FILE:LINE: listen.KEY: what (what would be valid)" for the first mistake.
core::Result<ListenConfig> LoadListenConfig(const config::Config& config);

}  // namespace lifeline::listen
