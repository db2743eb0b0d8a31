// The fleet view's HTTP API (fleet_routes.h).
#include "serve/fleet_routes.h"

#include <chrono>

#include <fmt/format.h>

namespace lifeline::serve {

using api::PartRequest;
using api::PartResponse;
using nlohmann::json;

namespace {

// A name as an error message may quote it: printable, at most 64 bytes.
std::string Quoted(std::string_view name) {
  std::string out(name.substr(0, 64));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string Label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string FleetRoutes::Metrics() {
  const auto views = fleet_.List(std::chrono::system_clock::now());
  if (views.empty()) return {};
  std::string up =
      "# HELP lifeline_vantage_point_up 1 while the vantage point answers (state ok), else 0.\n"
      "# TYPE lifeline_vantage_point_up gauge\n";
  std::string latency =
      "# HELP lifeline_vantage_point_latency_seconds TCP connect of its last answer.\n"
      "# TYPE lifeline_vantage_point_latency_seconds gauge\n";
  for (const VantageView& v : views) {
    const std::string labels =
        fmt::format("vantage_point=\"{}\",region=\"{}\"", Label(v.name), Label(v.region));
    up += fmt::format("lifeline_vantage_point_up{{{}}} {}\n", labels,
                      v.state == VantageState::kOk ? 1 : 0);
    if (v.latency_ms) {
      latency += fmt::format("lifeline_vantage_point_latency_seconds{{{}}} {}\n", labels,
                             *v.latency_ms / 1000.0);
    }
  }
  return up + latency;
}

std::vector<api::PartRoute> FleetRoutes::Routes() {
  using api::PartBody;
  using api::Role;
  return {
      {"GET",
       "/v1/vantage-points",
       Role::kViewer,
       {},
       PartBody::kNone,
       [this](const PartRequest&) -> core::Result<PartResponse> {
         const auto now = std::chrono::system_clock::now();
         json list = json::array();
         for (const VantageView& v : fleet_.List(now)) list.push_back(VantageJson(v));
         return PartResponse{200,
                             {{"checked_at", core::FormatTime(now)},
                              {"stale_after_ms", fleet_.options().stale_after.count()},
                              {"vantage_points", std::move(list)}}};
       }},
      {"GET",
       "/v1/vantage-points/{name}",
       Role::kViewer,
       {},
       PartBody::kNone,
       [this](const PartRequest& r) -> core::Result<PartResponse> {
         const std::string_view name = r.Param("name");
         auto v = fleet_.Find(name, std::chrono::system_clock::now());
         if (!v) {
           return core::MakeError(core::ErrorCode::kNotFound,
                                  "no vantage point '{}' (GET /v1/vantage-points lists them; they "
                                  "are configured under vantage_points:)",
                                  Quoted(name));
         }
         return PartResponse{200, VantageJson(*v)};
       }},
  };
}

std::unique_ptr<api::Backend::Subscription> FleetRoutes::Subscribe(
    std::function<void(const api::LiveEvent&)> sink) {
  return fleet_.Subscribe([sink = std::move(sink)](const FleetEvent& e) {
    json data = VantageJson(e.view);
    data["previous_state"] = std::string(VantageStateName(e.previous));
    data["state_changed"] = e.state_changed;
    sink({"vantage_point", std::move(data)});
  });
}

}  // namespace lifeline::serve
