// The ads guard's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET  /v1/ads                  accounts, policies, dry run, and what Lifeline holds paused now
//   GET  /v1/ads/campaigns        every campaign as the platforms answer now (?platform=)
//   GET  /v1/ads/changes          campaigns Lifeline changed (?incident=&state=&open=&account=)
//   GET  /v1/ads/calls            every call to an ad platform and its answer (?incident=&after=)
//   POST /v1/ads/pause, /v1/ads/resume   by hand (operator): {"account", "campaigns", "by",
//                                 "dry_run"}
//   GET  /v1/ads/transfers        budget transfers, newest first (?incident=&open=&limit=)
//   POST /v1/ads/transfers/{id}/approve, .../refuse   a person decides (operator): {"by", "reason"}
// Bodies and fields: docs/openapi.json (tag ads), docs/ads.md.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "ads/guard.h"
#include "api/route_group.h"
#include "store/store.h"

namespace lifeline::ads {

nlohmann::json ChangeJson(const store::AdChange& c);
nlohmann::json CampaignJson(const Campaign& c);
nlohmann::json TransferJson(const store::AdTransfer& t);

class AdsRoutes final : public api::RouteGroup {
 public:
  // `guard` and `store` must outlive the routes.
  AdsRoutes(Guard& guard, store::Store& store) : guard_(guard), store_(store) {}
  std::vector<api::PartRoute> Routes() override;
  // Live "incident_event"s for the guard's timeline entries (ads_paused, ads_resumed, ...): the
  // Ads page and the incident's timeline follow without polling.
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> Overview(const api::PartRequest& r);
  core::Result<api::PartResponse> Campaigns(const api::PartRequest& r);
  core::Result<api::PartResponse> Changes(const api::PartRequest& r);
  core::Result<api::PartResponse> Calls(const api::PartRequest& r);
  core::Result<api::PartResponse> Act(const api::PartRequest& r, bool pause);
  core::Result<api::PartResponse> Transfers(const api::PartRequest& r);
  core::Result<api::PartResponse> Decide(const api::PartRequest& r, bool approve);

  Guard& guard_;
  store::Store& store_;
};

}  // namespace lifeline::ads
