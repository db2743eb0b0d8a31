// The inbox's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET  /v1/inbox/webhooks/{source}        Meta's verification (hub.challenge echoed); public
//   POST /v1/inbox/webhooks/{source}        a source's webhook; public: the signature (or
//                                           Telegram's secret token) is the authentication
//   GET  /v1/inbox/sweep?incident=ID        what waits after an incident, longest waiting first
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
#include "inbox/inbox.h"

namespace lifeline::inbox {

class InboxRoutes final : public api::RouteGroup {
 public:
  // `inbox` must outlive the routes.
  explicit InboxRoutes(Inbox& inbox) : inbox_(inbox) {}
  std::vector<api::PartRoute> Routes() override;
  std::string Metrics() override;
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> Webhook(const api::PartRequest& r);
  core::Result<api::PartResponse> List(const api::PartRequest& r);
  core::Result<api::PartResponse> Show(const api::PartRequest& r);
  core::Result<api::PartResponse> Reply(const api::PartRequest& r);
  core::Result<api::PartResponse> Assign(const api::PartRequest& r);
  core::Result<api::PartResponse> State(const api::PartRequest& r, store::ConversationState s);
  core::Result<api::PartResponse> Sweep(const api::PartRequest& r);

  Inbox& inbox_;
};

}  // namespace lifeline::inbox
