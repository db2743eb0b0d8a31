// The dashboard's device check ("Is it my phone?", issue 13) as a route group of `lifeline serve`
// (api/route_group.h): GET /v1/device/probes lists what a person's browser fetches (each
// platform's and control site's `device_probes`), and POST /v1/device/reports takes the result for
// one platform as a measured crowd report — validated strictly, once per device per platform per
// hour, stored in Store::DeviceReports(). Described in docs/openapi.json and docs/verdicts.md.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/route_group.h"
#include "core/result.h"
#include "store/store.h"

namespace lifeline::api {

// What the browser fetches, taken from the config by serve's wiring (the api part does not read
// config itself).
struct DeviceCatalog {
  struct Platform {
    std::string id;
    std::string name;
    std::string domain;
    std::vector<std::string> urls;  // device_probes
  };
  struct Control {
    std::string id;
    std::vector<std::string> urls;
  };
  std::vector<Platform> platforms;          // those with device probes, in config order
  std::vector<Control> controls;            // control endpoints with device probes
  std::chrono::milliseconds timeout{5000};  // how long the page waits for each fetch
  std::chrono::milliseconds slow{2000};     // slower than this is shown as slow
  std::string public_url;  // api.public_url: the address to share for phones ("" = unknown)
};

struct DeviceRoutesOptions {
  // A device id costs nothing to make up: at most this many measured reports per address per
  // platform per hour count (a household or an office shares one address).
  int max_per_address = 20;
  std::size_t max_body_bytes = 4096;  // a bigger report is refused with 413
  std::function<std::chrono::system_clock::time_point()> now;  // null: the system clock
};

// A measured report's body, checked (no store involved): what ParseMeasuredBody returns.
struct MeasuredBody {
  std::string device;
  std::string platform;
  bool reached = false;
  int controls_ok = 0;
  int controls_total = 0;
  std::optional<double> best_ms;
  std::string connection;
  std::string effective_type;
};

// Checks a POST /v1/device/reports body against `catalog`. kInvalidArgument naming the field
// ("probes[1].url: ...") for bad JSON, unknown or missing fields, wrong types, a platform or URL
// not in the catalog, and results that contradict themselves (reached without a completed probe,
// a completed probe slower than the page waits, a connection of type "none" that reached
// something, a failure while no control site was reached either: that says nothing about the
// platform).
core::Result<MeasuredBody> ParseMeasuredBody(const std::string& body, const DeviceCatalog& catalog);

class DeviceRoutes final : public RouteGroup {
 public:
  // `store` must outlive the routes (and the server serving them).
  DeviceRoutes(DeviceCatalog catalog, store::Store& store, DeviceRoutesOptions options = {});

  std::vector<PartRoute> Routes() override;
  std::string Metrics() override;

 private:
  core::Result<PartResponse> Probes(const PartRequest& r);
  core::Result<PartResponse> Report(const PartRequest& r);

  DeviceCatalog catalog_;
  nlohmann::json probes_body_;  // GET /v1/device/probes, built once
  store::Store& store_;
  DeviceRoutesOptions options_;
  std::atomic<long long> accepted_{0}, duplicate_{0}, refused_{0};  // for /metrics
};

}  // namespace lifeline::api
