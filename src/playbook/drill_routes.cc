// Drills' routes (drill_routes.h): thin: DrillService does the work.
#include "playbook/drill_routes.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "api/part_body.h"
#include "api/store_json.h"

namespace lifeline::playbook {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using json = nlohmann::json;

// Who acts: {"by": "ana"}; optional here, one line of at most 100 characters.
Result<std::string> By(const json& body) {
  LL_ASSIGN(std::string by, api::StringField(body, "by"));
  if (by.size() > 100 || by.find_first_of("\r\n") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "by must be one line of at most 100 characters");
  }
  return by.empty() ? std::string("api") : by + " (through the API)";
}

}  // namespace

std::vector<api::PartRoute> DrillRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  auto bind = [this](auto fn) {
    return [this, fn](const api::PartRequest& r) { return (this->*fn)(r); };
  };
  return {
      {"POST", "/v1/drills", Role::kOperator, {}, PartBody::kRequired, bind(&DrillRoutes::Start)},
      {"GET", "/v1/drills", Role::kViewer, {"limit"}, PartBody::kNone, bind(&DrillRoutes::List)},
      {"GET", "/v1/drills/{id}", Role::kViewer, {}, PartBody::kNone, bind(&DrillRoutes::Get)},
      {"POST",
       "/v1/drills/{id}/end",
       Role::kOperator,
       {},
       PartBody::kOptional,
       bind(&DrillRoutes::End)},
      {"GET",
       "/v1/drills/{id}/report",
       Role::kViewer,
       {"format"},
       PartBody::kNone,
       bind(&DrillRoutes::Report)},
  };
}

Result<json> DrillRoutes::DrillJsonOf(const store::Incident& inc, bool with_status) {
  json out = {{"id", inc.id},
              {"title", inc.title},
              {"platforms", inc.platforms},
              {"domain", inc.domain},
              {"domain_wide", inc.kind == store::IncidentKind::kDomain},
              {"state", inc.state == store::IncidentState::kOpen ? "running" : "ended"},
              {"started_at", core::FormatTime(inc.opened_at)},
              {"ended_at", api::OptTimeJson(inc.closed_at)},
              {"ends_at", api::OptTimeJson(drills_.EndsAt(inc))},
              {"console_url", drills_.ConsoleUrl(inc.id)}};
  if (with_status) {
    LL_ASSIGN(DrillReport r, drills_.Report(inc.id));
    out["lifecycle"] = r.lifecycle;
    out["responses"] = r.responses;
    out["everyone_acknowledged"] = r.everyone_acknowledged;
    int open = 0, acted = 0;
    for (const store::Assignment& a : r.incident.assignments) {
      if (a.state == store::AssignmentState::kOpen) {
        ++open;
      } else {
        ++acted;
      }
    }
    out["assignments"] = {{"open", open}, {"closed", acted}};
  }
  return out;
}

Result<api::PartResponse> DrillRoutes::Start(const api::PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"platform", "domain", "duration", "by"}));
  DrillRequest req;
  LL_ASSIGN(req.platform, api::StringField(body, "platform"));
  if (req.platform.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "platform is required: the catalog id of the platform whose outage is "
                     "drilled (\"whatsapp\")");
  }
  LL_ASSIGN(req.domain, api::BoolField(body, "domain", false));
  if (auto it = body.find("duration"); it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      LL_ASSIGN(Duration d, ParseDrillDuration(it->get<std::string>()));
      req.duration = d;
    } else if (it->is_number() && std::isfinite(it->get<double>()) && it->get<double>() >= 0) {
      req.duration = Duration(static_cast<long long>(it->get<double>() * 1000));
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       "duration must be a duration such as \"30m\" or a number of seconds");
    }
  }
  LL_ASSIGN(req.by, By(body));
  LL_ASSIGN(store::Incident inc, drills_.Start(req));
  LL_ASSIGN(json out, DrillJsonOf(inc, false));
  return api::PartResponse{201, std::move(out)};
}

Result<api::PartResponse> DrillRoutes::List(const api::PartRequest& r) {
  std::size_t limit = 50;
  if (const std::string* v = r.Query("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || end != v->data() + v->size() || n < 1 || n > 1000) {
      return MakeError(ErrorCode::kInvalidArgument, "limit must be a number from 1 to 1000");
    }
    limit = static_cast<std::size_t>(n);
  }
  LL_ASSIGN(auto list, drills_.List(limit));
  json out = json::array();
  for (const store::Incident& inc : list) {
    LL_ASSIGN(json one, DrillJsonOf(inc, false));
    out.push_back(std::move(one));
  }
  return api::PartResponse{200, {{"drills", out}}};
}

Result<api::PartResponse> DrillRoutes::Get(const api::PartRequest& r) {
  LL_ASSIGN(store::Incident inc, drills_.Get(r.Param("id")));
  LL_ASSIGN(json out, DrillJsonOf(inc, true));
  return api::PartResponse{200, std::move(out)};
}

Result<api::PartResponse> DrillRoutes::End(const api::PartRequest& r) {
  LL_ASSIGN(json body, api::ParseObjectBody(r.body, {"by"}));
  LL_ASSIGN(std::string by, By(body));
  LL_ASSIGN(store::Incident inc, drills_.End(r.Param("id"), by));
  LL_ASSIGN(json out, DrillJsonOf(inc, false));
  return api::PartResponse{200, std::move(out)};
}

Result<api::PartResponse> DrillRoutes::Report(const api::PartRequest& r) {
  std::string format = "json";
  if (const std::string* f = r.Query("format")) format = *f;
  if (format != "json" && format != "md") {
    return MakeError(ErrorCode::kInvalidArgument, "format must be json or md");
  }
  LL_ASSIGN(DrillReport report, drills_.Report(r.Param("id")));
  api::PartResponse out;
  if (format == "json") {
    out.body = DrillJson(report);
  } else {
    out.content_type = "text/markdown; charset=utf-8";
    out.raw_body = DrillMarkdown(report);
  }
  return out;
}

}  // namespace lifeline::playbook
