// A Facebook Page's `feed` webhook as a listening source: Meta posts each change of the Page's
// feed (a post or a comment added or edited) to /v1/listening/webhooks/{source}, signed with
// X-Hub-Signature-256 over the raw body (the app secret), after the GET hub.challenge
// verification. Reference: https://developers.facebook.com/docs/graph-api/webhooks/reference/page/
// (field `feed`: item, verb, post_id, comment_id, message, from, created_time).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/route_group.h"
#include "core/result.h"
#include "listen/listener.h"

namespace lifeline::listen {

struct PageFeedChange {
  std::string page_id;  // entry[].id
  Post post;            // source "facebook", id = comment_id or post_id
  std::string item;     // "post", "status", "photo", "video", "share" or "comment"
  std::string verb;     // "add" or "edited"
};

struct PageFeed {
  std::vector<PageFeedChange> changes;  // posts and comments added or edited
  std::size_t ignored = 0;              // other fields, reactions, removals, changes without an id
};

// Reads a delivery ({"object": "page", "entry": [{"id", "time", "changes": [{"field": "feed",
// "value": {...}}]}]}). created_time is Unix seconds (or RFC 3339). kInvalidArgument naming what
// is missing or malformed; a page id not in `page_ids` refuses the whole delivery.
core::Result<PageFeed> ParsePageFeed(std::string_view body,
                                     const std::vector<std::string>& page_ids);

// GET: Meta's verification (hub.mode, hub.verify_token, hub.challenge) answered with the
// challenge as text. POST: the signature checked over the raw body (kUnauthenticated, 401, with
// nothing stored and the body never logged), the delivery parsed whole, its posts and comments
// stored through the listener (each once: a redelivery or an edit keeps the first; matched
// against the queries by their text). `source` must be a facebook_page source.
core::Result<api::PartResponse> HandlePageFeed(Listener& listener, const SourceConfig& source,
                                               const api::PartRequest& request, TimePoint now);

}  // namespace lifeline::listen
