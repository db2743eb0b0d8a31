// Listening's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET /v1/listening          queries, sources and their health per term (last poll, last
//                              error, rate-limit state), the spikes on now
//   GET /v1/listening/posts    stored posts (?query=&source=&from=&to=&limit=), newest first
//   GET /v1/listening/spikes   spike decisions per query and hour (?query=&platform=&from=&to=
//                              &spiking=&limit=), newest first
//   GET /v1/listening/hours    a query's hours (?query=&from=&to=): volume against the usual
//                              band, sentiment shares, top terms, most-shared posts
//   GET|POST /v1/listening/webhooks/{source}  a facebook_page source's feed webhook (public:
//                              Meta's verification, then signed deliveries; page_feed.h)
// Live events on /v1/events: "listening" ({"kind": "spike" | "hour" | "source", ...}).
// Bodies and fields: docs/openapi.json (tag listening), docs/listening.md.
#pragma once

#include <vector>

#include "api/route_group.h"
#include "listen/listener.h"

namespace lifeline::listen {

class ListenRoutes final : public api::RouteGroup {
 public:
  // `listener` and `store` must outlive the routes.
  ListenRoutes(Listener& listener, store::Store& store) : listener_(listener), store_(store) {}
  std::vector<api::PartRoute> Routes() override;
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> Status(const api::PartRequest& r);
  core::Result<api::PartResponse> Posts(const api::PartRequest& r);
  core::Result<api::PartResponse> Spikes(const api::PartRequest& r);
  core::Result<api::PartResponse> Hours(const api::PartRequest& r);
  core::Result<api::PartResponse> Webhook(const api::PartRequest& r);

  Listener& listener_;
  store::Store& store_;
};

// The JSON of a stored spike decision (API, CLI and events share it).
nlohmann::json SpikeRowJson(const store::ListenSpike& s);

}  // namespace lifeline::listen
