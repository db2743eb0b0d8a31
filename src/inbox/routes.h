// The inbox's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET  /v1/inbox/webhooks/{source}        Meta's verification (hub.challenge echoed); public
//   POST /v1/inbox/webhooks/{source}        a source's webhook; public: the signature (or
//                                           Telegram's secret token) is the authentication
//   GET  /v1/inbox/sweep?incident=ID        what waits after an incident, longest waiting first,
//                                           and what each source's catch-up found
//   GET  /v1/inbox/sources                  the sources, their health (IMAP) and catch-up
//   POST /v1/inbox/sources/{name}/catch-up  ?since=&until=&incident= ("all": every source):
//                                           fetch what the platform may have missed (operator)
//   GET  /v1/conversations                  ?state=&channel=&assignee=&waiting=&limit=
//   GET  /v1/conversations/{id}             one conversation and its messages
//   POST /v1/conversations/{id}/reply       {"text", "idempotency_key"?, "by"?} (operator)
//   POST /v1/conversations/{id}/assign      {"assignee"} ("" unassigns) (operator)
//   POST /v1/conversations/{id}/resolve     (operator)
//   POST /v1/conversations/{id}/snooze      {"until": RFC 3339} (operator)
//   POST /v1/conversations/{id}/reopen      (operator)
// Live events on /v1/events: "conversation" ({"change", "conversation"}) on every change.
// Bodies and fields: docs/openapi.json (tag inbox), docs/inbox.md.
#pragma once

#include <atomic>
#include <vector>

#include "api/route_group.h"
#include "inbox/catch_up.h"
#include "inbox/inbox.h"

namespace lifeline::inbox {

class InboxRoutes final : public api::RouteGroup {
 public:
  // `inbox` must outlive the routes.
  // `catch_up` (optional) must outlive the routes too; without it the catch-up route answers 409.
  explicit InboxRoutes(Inbox& inbox, CatchUp* catch_up = nullptr)
      : inbox_(inbox), catch_up_(catch_up) {}
  std::vector<api::PartRoute> Routes() override;
  std::string Metrics() override;
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> Webhook(const api::PartRequest& r);       // GET: the verification
  void StartWebhook(const api::PartRequest& r, api::PartRoute::Done done);  // POST
  core::Result<api::PartResponse> List(const api::PartRequest& r);
  core::Result<api::PartResponse> Show(const api::PartRequest& r);
  core::Result<api::PartResponse> Reply(const api::PartRequest& r);
  core::Result<api::PartResponse> Assign(const api::PartRequest& r);
  core::Result<api::PartResponse> State(const api::PartRequest& r, store::ConversationState s);
  core::Result<api::PartResponse> Sweep(const api::PartRequest& r);
  core::Result<api::PartResponse> Sources(const api::PartRequest& r);
  core::Result<api::PartResponse> RunCatchUp(const api::PartRequest& r);

  Inbox& inbox_;
  CatchUp* catch_up_;
};

}  // namespace lifeline::inbox
