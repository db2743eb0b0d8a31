// Fetching what a platform may have missed: after an outage (when an incident naming a source's
// platform closes) or when asked (POST /v1/inbox/sources/{name}/catch-up), each source whose
// platform lets Lifeline look does, over the outage's span, and stores what it finds through the
// same dedup as the webhooks — so what already arrived is not stored twice, and what is new is
// the gap. Per source the result is kept with the incident: looked, found N, of which M were new;
// or why it could not look. The sweep shows it.
//   IMAP: UID SEARCH SINCE the span's first day, each mail's Date inside the span.
//   Messenger: the Conversations API, GET /{page-id}/conversations?platform=messenger&fields=
//     messages{id,message,from,created_time} with its cursors (paging.next), customer messages
//     only (from.id is not the page).
//   Telegram: getWebhookInfo's pending_update_count, last_error_date and last_error_message: what
//     Telegram still holds for the webhook and why it could not deliver (it retries; the updates
//     then arrive through the webhook). In poll mode getUpdates fetches what Telegram holds.
//   WhatsApp, Instagram, the generic webhook: cannot look (the reason is stored).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "channels/http.h"
#include "core/incident_feed.h"
#include "core/work_queue.h"
#include "inbox/imap.h"
#include "inbox/inbox.h"

namespace lifeline::inbox {

struct CatchUpOptions {
  core::Clock* clock = nullptr;  // null = core::RealClock()
  std::function<void(std::string_view)> log;
  // The catch-up after an incident looks from this long before it opened (platforms often
  // fail a little before the detector is sure).
  std::chrono::milliseconds before = std::chrono::minutes(10);
  // A Messenger catch-up reads at most this many pages of conversations.
  int max_pages = 50;
};

class CatchUp {
 public:
  // `inbox`, `http` and `outlet` (the platform a source's channel rides) must outlive this.
  // `imap` may be null (no IMAP source can look then). `poller` (optional) adds the IMAP
  // sources' health to Sources().
  CatchUp(Inbox& inbox, channels::HttpClient& http, const Outlet& outlet, ImapConnector imap,
          const ImapPoller* poller, CatchUpOptions options);
  ~CatchUp();  // Stop()

  // Looks on `source` ("" = every source) over [since, until] and stores the result (with
  // `incident_id`, "" = none). kNotFound for an unknown source, kInvalidArgument for since >=
  // until. A platform that fails is a result ("cannot look: ..."), not an error.
  [[nodiscard]] core::Result<std::vector<store::CatchUpRecord>> Run(std::string_view source,
                                                                    store::Time since,
                                                                    store::Time until,
                                                                    std::string_view incident_id);

  // Follows incidents: when one closes, the sources whose channel rides one of its platforms
  // catch up over its span, on this object's worker.
  [[nodiscard]] std::unique_ptr<core::IncidentFeed::Subscription> Watch(core::IncidentFeed& feed);
  void Stop();  // a catch-up running finishes; queued ones are dropped. Idempotent.
  // True when no incident's catch-up is queued or running (tests).
  bool WaitIdle(std::chrono::milliseconds timeout);

  // GET /v1/inbox/sources: every source with its type and channel, the IMAP ones with their
  // health, and whether and how each can catch up.
  nlohmann::json Sources() const;

 private:
  store::CatchUpRecord Look(const Source& src, store::Time since, store::Time until);
  void LookImap(const Source& src, store::CatchUpRecord& r);
  void LookMessenger(const Source& src, store::CatchUpRecord& r);
  void LookTelegram(const Source& src, store::CatchUpRecord& r);
  void After(const core::IncidentNotice& n);
  void Log(std::string_view line) const;

  Inbox& inbox_;
  channels::HttpClient& http_;
  const Outlet& outlet_;
  ImapConnector imap_;
  const ImapPoller* poller_;
  core::Clock& clock_;
  const CatchUpOptions options_;

  core::WorkQueue work_;  // last: stopped first
};

// A catch-up result as the API shows it: {"source", "type", "incident_id", "since", "until",
// "at", "looked", "found", "new", "pending", "reason", "new_messages", "last_error"...}.
nlohmann::json CatchUpJson(const store::CatchUpRecord& r);
// One line for the CLI and the logs: "fb-page: looked 10:02-11:40, found 5, 2 new (the gap)".
std::string CatchUpLine(const store::CatchUpRecord& r);

// Graph API times ("2026-11-27T10:00:00+0000"), also RFC 3339 ("Z", "+01:00").
std::optional<store::Time> ParseGraphTime(std::string_view s);

}  // namespace lifeline::inbox
