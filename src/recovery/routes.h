// The recovery checklist's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET /v1/recovery/{incident}   the incident's recovery checklist (docs/recovery.md, openapi)
// The handler reads the ad platforms' figures on the server thread that serves it: seconds for
// many campaigns. The answer is kept for a short while, so a dashboard polling it and a person
// running `lifeline recovery` do not each cost the platforms' rate limits a full read.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/route_group.h"
#include "recovery/service.h"

namespace lifeline::recovery {

class RecoveryRoutes final : public api::RouteGroup {
 public:
  // `service` must outlive the routes. `fresh`: how long an answer is reused (0: never).
  explicit RecoveryRoutes(RecoveryService& service,
                          std::chrono::seconds fresh = std::chrono::seconds(60))
      : service_(service), fresh_(fresh) {}
  std::vector<api::PartRoute> Routes() override;

 private:
  core::Result<api::PartResponse> Get(const api::PartRequest& r);

  RecoveryService& service_;
  std::chrono::seconds fresh_;
  struct Cached {
    std::chrono::steady_clock::time_point at;
    nlohmann::json body;
  };
  std::mutex mu_;  // guards cache_
  std::map<std::string, Cached> cache_;
};

}  // namespace lifeline::recovery
