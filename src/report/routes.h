// The incident report's HTTP API, as a route group of `lifeline serve` (api/route_group.h):
// GET /v1/incidents/{id}/report?format=json|md|html. Described in docs/openapi.json.
#pragma once

#include <functional>
#include <vector>

#include "api/route_group.h"
#include "report/report.h"
#include "store/store.h"

namespace lifeline::report {

class ReportRoutes final : public api::RouteGroup {
 public:
  // `store` must outlive the routes (and the server serving them). `now` gives the report's time
  // (null: the system clock).
  explicit ReportRoutes(store::Store& store, std::function<store::Time()> now = nullptr,
                        ReportOptions options = {});

  std::vector<api::PartRoute> Routes() override;

 private:
  core::Result<api::PartResponse> Get(const api::PartRequest& r);

  store::Store& store_;
  std::function<store::Time()> now_;
  ReportOptions options_;
};

}  // namespace lifeline::report
