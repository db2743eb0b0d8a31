// Drills' HTTP API, as a route group of `lifeline serve` (api/route_group.h):
//   POST /v1/drills                 start one: {"platform", "domain"?, "duration"?, "by"?}
//   GET  /v1/drills                 the drills, newest first
//   GET  /v1/drills/{id}            one drill: state, console URL, whether everyone acknowledged
//   POST /v1/drills/{id}/end        restoration: the drill's simulated outage is over
//   GET  /v1/drills/{id}/report     the drill report (?format=json|md)
// Bodies and fields: docs/openapi.json; what a drill does: docs/playbook.md "Drills".
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "api/route_group.h"
#include "playbook/drill.h"

namespace lifeline::playbook {

class DrillRoutes final : public api::RouteGroup {
 public:
  // `drills` must outlive the routes (and the server serving them).
  explicit DrillRoutes(DrillService& drills) : drills_(drills) {}

  std::vector<api::PartRoute> Routes() override;

 private:
  core::Result<api::PartResponse> Start(const api::PartRequest& r);
  core::Result<api::PartResponse> List(const api::PartRequest& r);
  core::Result<api::PartResponse> Get(const api::PartRequest& r);
  core::Result<api::PartResponse> End(const api::PartRequest& r);
  core::Result<api::PartResponse> Report(const api::PartRequest& r);
  core::Result<nlohmann::json> DrillJsonOf(const store::Incident& inc, bool with_status);

  DrillService& drills_;
};

}  // namespace lifeline::playbook
