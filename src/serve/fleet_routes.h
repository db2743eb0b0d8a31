// The fleet view's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET /v1/vantage-points         every configured vantage point: state, last seen, latency,
//                                  version, its own connection, its last error
//   GET /v1/vantage-points/{name}  one of them (404 naming it when none has that name)
// Live events on /v1/events: "vantage_point" (the same object, plus "previous_state" and
// "state_changed") when one changes state, and at most every FleetOptions::update_every otherwise.
// /metrics: lifeline_vantage_point_up (1 while ok) and lifeline_vantage_point_latency_seconds.
// Bodies and fields: docs/openapi.json (tag fleet), docs/serve.md "Fleet".
#pragma once

#include <vector>

#include "api/route_group.h"
#include "serve/fleet.h"

namespace lifeline::serve {

class FleetRoutes final : public api::RouteGroup {
 public:
  // `fleet` must outlive the routes.
  explicit FleetRoutes(Fleet& fleet) : fleet_(fleet) {}
  std::vector<api::PartRoute> Routes() override;
  // lifeline_vantage_point_up and lifeline_vantage_point_latency_seconds, per vantage point.
  std::string Metrics() override;
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  Fleet& fleet_;
};

}  // namespace lifeline::serve
