// Official status pages: parses an Atlassian Statuspage v2 summary.json and fetches a page of any
// kind (summary.json or an RSS/Atom feed, sources/feed.h) through the Prober. A page that cannot be
// fetched or read is a StatusPageState with fetched == false.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/types.h"
#include "probe/probe.h"

namespace lifeline::sources {

// An unresolved incident listed on the page.
struct StatusIncident {
  std::string name;    // "Elevated error rates on login"
  std::string impact;  // none | minor | major | critical | maintenance
  std::string status;  // investigating | identified | monitoring | ... ("" when absent)
  std::string url;     // the incident's own page ("" when the page gives none)
  std::optional<std::chrono::system_clock::time_point> updated_at;  // its latest update, if given
};

// What a platform's official status page says right now.
struct StatusPageState {
  bool fetched = false;     // the page was fetched and read
  std::string error;        // why not, when !fetched: one line for a person
  std::string indicator;    // none | minor | major | critical | maintenance
  std::string description;  // "Partial System Outage"
  // Components that are not "operational", as (name, status) in page order; status is one of
  // degraded_performance, partial_outage, major_outage, under_maintenance (or a newer value the
  // page uses). Component groups are left out: their members are listed on their own.
  std::vector<std::pair<std::string, std::string>> degraded_components;
  std::vector<StatusIncident> incidents;  // unresolved incidents, in page order
};

// Parses a Statuspage v2 summary.json body. `status.indicator` (one of the values above) is
// required; components and incidents are optional. Errors (kInvalidArgument) name the field:
// "status.indicator: 'purple' is not one of none, minor, major, critical, maintenance".
core::Result<StatusPageState> ParseStatuspageSummary(std::string_view body);

// Fetches and parses `page` by its kind: "statuspage" as a summary.json, "rss", "atom" or "feed" as
// an incident feed (ParseIncidentFeed, judged against the system clock). Never throws: a transport
// failure, a non-200 answer or an unreadable body is a state with fetched == false and `error`
// saying which, naming the URL. `prober` must outlive the coroutine.
boost::asio::awaitable<StatusPageState> FetchStatusPage(probe::Prober& prober,
                                                        core::StatusPageRef page,
                                                        std::chrono::milliseconds timeout);

}  // namespace lifeline::sources
