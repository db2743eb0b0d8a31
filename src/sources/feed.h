// Official status pages published as incident feeds (RSS 2.0, RSS 1.0 or Atom 1.0): reads a feed
// into the same StatusPageState a Statuspage summary gives. How a feed becomes a state:
// docs/config.md.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sources/statuspage.h"

namespace lifeline::sources {

enum class FeedKind {
  kRss,   // root <rss> (2.0) or <rdf:RDF> (1.0)
  kAtom,  // root <feed> in the Atom 1.0 namespace
  kAny,   // either, told by the root element
};

struct FeedOptions {
  FeedKind kind = FeedKind::kAny;
  std::chrono::system_clock::time_point now;  // what "recent" is measured from
  // An incident whose latest update is older than now - window is over, whatever it says.
  std::chrono::seconds window{std::chrono::hours(12)};
};

// Reads an incident feed. Every item (entry) is an update of an incident; items with the same link
// (unless it is the feed's own home page), else guid (id), else title are one incident, and its
// newest dated item is its latest update.
// An incident is active when that update lies within the window and does not say it is over
// (resolved, completed, restored, postmortem; see docs/config.md for the exact rule). The state's
// incidents are the active ones, newest first; its indicator is the worst of their impacts (major
// when an update says outage/down/unavailable, maintenance when it is about maintenance, else
// minor), "none" without any; its description is the newest active incident's title or
// "No active incidents". Errors (kInvalidArgument): not well-formed XML (with the line), a root
// element other than the kind's, a feed that declares its own entities.
core::Result<StatusPageState> ParseIncidentFeed(std::string_view body, const FeedOptions& options);

// One item (entry) of any feed, as listening reads feeds of mentions.
struct FeedItem {
  std::string id;  // guid (RSS) or id (Atom)
  std::string title;
  std::string link;
  std::string author;  // RSS <dc:creator> or <author>, Atom <author><name>
  std::string text;    // the first paragraph of its description / content, as plain text
  std::optional<std::chrono::system_clock::time_point> at;  // updated, else published
};
// Every item of an RSS 2.0, RSS 1.0 or Atom feed, in feed order; errors as ParseIncidentFeed's.
core::Result<std::vector<FeedItem>> ReadFeedItems(std::string_view body);

// "rss" | "atom" | "feed"; nullopt for any other name (statuspage is not a feed).
std::optional<FeedKind> FeedKindByName(std::string_view name);

// RFC 822 / RFC 1123 as RSS uses it ("Fri, 27 Nov 2026 04:10:00 +0000", also "GMT", "EST",
// military zones, no weekday, no seconds, two-digit years). nullopt when unreadable.
std::optional<std::chrono::system_clock::time_point> ParseRfc822Time(std::string_view text);
// RFC 3339 as Atom uses it ("2026-11-27T04:10:00Z", "...04:10:00.123+01:00"). nullopt when
// unreadable.
std::optional<std::chrono::system_clock::time_point> ParseRfc3339Time(std::string_view text);

}  // namespace lifeline::sources
