// After an incident, the posts side of its recovery checklist (docs/recovery.md): what became of
// every post part that was due while the incident lasted or that it held — published as planned,
// released and published after it, dropped as expired, still held, pending, failed, or cancelled
// by a person. Read from the calendar's store only; serve hands it to the recovery service
// (RecoveryOptions::posts).
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "store/calendar.h"
#include "store/records.h"

namespace lifeline::calendar {

struct PostsAccount {
  // {"due", "published", "released", "dropped", "held", "pending", "failed", "cancelled",
  // "summary",
  //  "parts": [{"post", "channel", "outcome", "due", "note"}]}
  nlohmann::json body;
  bool attention = false;  // a part failed, or is still held though the incident closed
};

// `now` ends the window of an incident still open.
[[nodiscard]] core::Result<PostsAccount> AccountPosts(store::CalendarStore& store,
                                                      const store::Incident& incident,
                                                      store::Time now);

}  // namespace lifeline::calendar
