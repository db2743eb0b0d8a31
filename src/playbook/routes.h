// The contingency plan's HTTP API, as a route group of `lifeline serve` (api/route_group.h):
//   GET  /v1/plan                                the loaded plan and the advisor's figures
//   GET  /v1/incidents/{id}/response             an incident's lifecycle, runs, steps, assignments
//   GET  /v1/assignments                         tasks, approvals, notifications (filters)
//   POST /v1/assignments/{id}/{acknowledge|done|approve|refuse}   a person acts ({"by": ...})
//   POST /v1/incidents/{id}/reviewed             resolved -> reviewed
//   GET  /v1/ack/{token}, POST /v1/ack/{token}   an acknowledgement link: what it does; do it
// The link routes need no API token (the link's own token is the credential) and GET never acts:
// chat apps and mail scanners open links to preview them. Bodies and fields: docs/openapi.json.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/route_group.h"
#include "core/clock.h"
#include "playbook/check.h"
#include "playbook/engine.h"
#include "store/store.h"

namespace lifeline::playbook {

// What the API shows of a plan, an assignment and an incident's response.
nlohmann::json PlanJson(const Plan& plan, const Advice& advice);
nlohmann::json AssignmentJson(const store::Assignment& a);
nlohmann::json ResponseJson(const IncidentResponse& r);

class PlaybookRoutes final : public api::RouteGroup {
 public:
  // `engine` and `store` must outlive the routes (and the server serving them). `advice` is the
  // advisor's figures for the loaded plan, computed once at start. `clock`: the engine's (null =
  // the real clock), for telling whether a link has expired.
  PlaybookRoutes(Engine& engine, store::Store& store, Advice advice, core::Clock* clock = nullptr);

  std::vector<api::PartRoute> Routes() override;
  // Live "incident_event"s (the object GET /v1/incidents/{id} lists) for each entry the engine
  // adds to a timeline: the console and the incident page follow the response without polling.
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> Plan_(const api::PartRequest& r);
  core::Result<api::PartResponse> Response(const api::PartRequest& r);
  core::Result<api::PartResponse> Assignments(const api::PartRequest& r);
  core::Result<api::PartResponse> Act(const api::PartRequest& r, const std::string& action);
  core::Result<api::PartResponse> Reviewed(const api::PartRequest& r);
  core::Result<api::PartResponse> LinkInfo(const api::PartRequest& r);
  core::Result<api::PartResponse> LinkRedeem(const api::PartRequest& r);

  Engine& engine_;
  store::Store& store_;
  Advice advice_;
  core::Clock& clock_;
};

}  // namespace lifeline::playbook
