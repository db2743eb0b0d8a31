#include "calendar/accounting.h"

#include <map>
#include <string>

#include <fmt/format.h>

#include "core/types.h"

namespace lifeline::calendar {

using nlohmann::json;

core::Result<PostsAccount> AccountPosts(store::CalendarStore& store,
                                        const store::Incident& incident, store::Time now) {
  const store::Time end = incident.closed_at.value_or(now);
  // Posts due while it lasted, and any post with a part it held (a post due before it opened
  // whose part was still queued, say).
  LL_ASSIGN(auto due, store.List({.from = incident.opened_at, .to = end, .limit = 10000}));
  std::map<std::string, store::Post> posts;
  for (auto& p : due) posts.emplace(p.id, std::move(p));
  LL_ASSIGN(auto all, store.List({.limit = 10000}));
  for (auto& p : all) {
    for (const auto& part : p.parts) {
      if (part.incident_id == incident.id) {
        posts.emplace(p.id, p);
        break;
      }
    }
  }
  std::map<std::string, int> counts = {{"published", 0}, {"released", 0}, {"dropped", 0},
                                       {"held", 0},      {"pending", 0},  {"failed", 0},
                                       {"cancelled", 0}, {"missing", 0}};
  json parts = json::array();
  int total = 0;
  for (const auto& [id, post] : posts) {
    for (const auto& part : post.parts) {
      const bool held_by_it = part.incident_id == incident.id || part.held_by == incident.id;
      std::string outcome;
      switch (part.state) {
        case store::PartState::kPublished:
          outcome = held_by_it ? "released" : "published";
          break;
        case store::PartState::kDropped:
          outcome = "dropped";
          break;
        case store::PartState::kHeld:
          outcome = "held";
          break;
        case store::PartState::kFailed:
          outcome = "failed";
          break;
        case store::PartState::kCancelled:
          outcome = "cancelled";  // a person cancelled the post: deliberately not published
          break;
        default:
          outcome = "pending";  // scheduled (a release moved it to a later slot) or with the relay
      }
      ++counts[outcome];
      ++total;
      // Published, but the platform does not show it: as good as lost.
      const bool missing = part.state == store::PartState::kPublished && part.verified == "missing";
      if (missing) ++counts["missing"];
      parts.push_back({{"post", id},
                       {"channel", part.channel},
                       {"outcome", outcome},
                       {"due", core::FormatTime(part.due)},
                       {"note", missing ? part.verify_note : part.note},
                       {"verified", part.verified.empty() ? json(nullptr) : json(part.verified)}});
    }
  }
  PostsAccount out;
  const bool closed = incident.closed_at.has_value();
  out.attention = counts["failed"] > 0 || counts["missing"] > 0 || (closed && counts["held"] > 0);
  std::string summary = total == 0
                            ? "No scheduled post was due during the incident."
                            : fmt::format(
                                  "{} post part(s) were due during the incident: {} published as "
                                  "planned, {} released and published after it, {} dropped as "
                                  "expired, {} still held, {} pending, {} failed.",
                                  total, counts["published"], counts["released"], counts["dropped"],
                                  counts["held"], counts["pending"], counts["failed"]);
  if (counts["cancelled"] > 0) {
    summary.pop_back();  // the full stop
    summary += fmt::format(", {} cancelled by a person.", counts["cancelled"]);
  }
  if (counts["missing"] > 0) {
    summary +=
        fmt::format(" {} published but not found on the platform afterwards.", counts["missing"]);
  }
  if (out.attention) summary += " Some need a look: none may go unaccounted for.";
  out.body = {{"due", total}, {"summary", summary}, {"parts", parts}};
  for (const auto& [k, v] : counts) out.body[k] = v;
  return out;
}

}  // namespace lifeline::calendar
