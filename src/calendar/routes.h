// The content calendar's HTTP API, a route group of `lifeline serve` (api/route_group.h):
//   GET  /v1/calendar                      release policies, channels (and what stops them now)
//   GET  /v1/calendar/posts                posts (?state=&channel=&from=&to=&limit=)
//   POST /v1/calendar/posts                add one (operator)
//   GET  /v1/calendar/posts/{id}           one post and its parts per channel
//   PATCH /v1/calendar/posts/{id}          edit it while none of it went out (operator)
//   POST /v1/calendar/posts/{id}/cancel    cancel it: nothing more of it goes out (operator)
//   POST /v1/calendar/posts/{id}/hold      hold it by hand (operator)
//   POST /v1/calendar/posts/{id}/release   release it by hand, now or at a time (operator)
//   POST /v1/calendar/import               a CSV file's posts, all or none (operator)
// Live events on /v1/events: "incident_event" for each timeline entry the calendar stores, and
// "calendar" ({"change", "post"}) for each post it adds or changes.
// Bodies and fields: docs/openapi.json (tag calendar), docs/calendar.md.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "api/route_group.h"
#include "calendar/calendar.h"

namespace lifeline::calendar {

nlohmann::json PostJson(const store::Post& p, Publisher& publisher);

class CalendarRoutes final : public api::RouteGroup {
 public:
  // `calendar` and `store` must outlive the routes.
  CalendarRoutes(Calendar& calendar, store::Store& store) : calendar_(calendar), store_(store) {}
  std::vector<api::PartRoute> Routes() override;
  // The calendar's timeline entries as "incident_event"s and its posts as "calendar" events: the
  // Calendar page and the incident's timeline follow without polling.
  std::unique_ptr<api::Backend::Subscription> Subscribe(
      std::function<void(const api::LiveEvent&)> sink) override;

 private:
  core::Result<api::PartResponse> Overview(const api::PartRequest& r);
  core::Result<api::PartResponse> List(const api::PartRequest& r);
  core::Result<api::PartResponse> Add(const api::PartRequest& r);
  core::Result<api::PartResponse> GetOne(const api::PartRequest& r);
  core::Result<api::PartResponse> Act(const api::PartRequest& r, bool hold);
  core::Result<api::PartResponse> Edit(const api::PartRequest& r);
  core::Result<api::PartResponse> Cancel(const api::PartRequest& r);
  core::Result<api::PartResponse> Import(const api::PartRequest& r);

  Calendar& calendar_;
  store::Store& store_;
};

}  // namespace lifeline::calendar
