// The device check's routes (device_routes.h): the list of device probes, and measured reports
// checked field by field before anything is stored.
#include "api/device_routes.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "api/part_body.h"

namespace lifeline::api {
namespace {

using core::ErrorCode;
using core::MakeError;
using json = nlohmann::json;

// navigator.connection's vocabulary (Network Information API).
constexpr std::string_view kConnectionTypes[] = {
    "bluetooth", "cellular", "ethernet", "mixed", "none", "other", "unknown", "wifi", "wimax"};
constexpr std::string_view kEffectiveTypes[] = {"slow-2g", "2g", "3g", "4g"};
constexpr double kMaxMs = 60'000;
// A fetch the page gave up on ends at the timeout, give or take the timer's slack.
constexpr double kTimerSlackMs = 1'000;

core::Error Bad(std::string_view field, std::string_view what) {
  return core::Error(ErrorCode::kInvalidArgument, fmt::format("field '{}' {}", field, what));
}

bool IsDeviceId(const std::string& s) {
  if (s.size() < 16 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// Quoted and cut: it is the caller's text.
std::string Quote(const std::string& s) {
  return json(s.substr(0, 80)).dump(-1, ' ', false, json::error_handler_t::replace);
}

struct Fetch {
  std::string url;
  bool ok = false;
  double ms = 0;
};

// One list of fetches ("probes" or "controls"): objects {url, ok, ms}, each URL one of `urls`
// and given once, every one of `urls` given.
core::Result<std::vector<Fetch>> ParseFetches(const json& doc, const char* name,
                                              const std::vector<std::string>& urls,
                                              double timeout_ms) {
  auto it = doc.find(name);
  if (it == doc.end() || it->is_null()) return Bad(name, "is missing");
  if (!it->is_array()) return Bad(name, "must be a list of {url, ok, ms} results");
  std::vector<Fetch> out;
  for (std::size_t i = 0; i < it->size(); ++i) {
    const json& item = (*it)[i];
    const std::string field = fmt::format("{}[{}]", name, i);
    if (!item.is_object()) return Bad(field, "must be an object {url, ok, ms}");
    for (const auto& [key, value] : item.items()) {
      if (key != "url" && key != "ok" && key != "ms") {
        return Bad(field, fmt::format("has an unknown field {} (fields: url, ok, ms)", Quote(key)));
      }
    }
    Fetch f;
    auto url = item.find("url");
    if (url == item.end() || !url->is_string()) return Bad(field + ".url", "must be a string");
    f.url = url->get<std::string>();
    if (std::find(urls.begin(), urls.end(), f.url) == urls.end()) {
      return Bad(field + ".url", fmt::format("{} is not one of the device probes this server "
                                             "lists (GET /v1/device/probes)",
                                             Quote(f.url)));
    }
    for (const Fetch& other : out) {
      if (other.url == f.url)
        return Bad(field + ".url", fmt::format("{} is given twice", Quote(f.url)));
    }
    auto ok = item.find("ok");
    if (ok == item.end() || !ok->is_boolean()) return Bad(field + ".ok", "must be true or false");
    f.ok = ok->get<bool>();
    auto ms = item.find("ms");
    if (ms == item.end() || !ms->is_number()) {
      return Bad(field + ".ms", "must be a number of milliseconds");
    }
    f.ms = ms->get<double>();
    if (!std::isfinite(f.ms) || f.ms < 0 || f.ms > kMaxMs) {
      return Bad(field + ".ms", fmt::format("must be between 0 and {:.0f}", kMaxMs));
    }
    if (f.ok && f.ms > timeout_ms + kTimerSlackMs) {
      return Bad(field + ".ms",
                 fmt::format("is {:.0f} ms, longer than the page waits ({:.0f} ms): a fetch that "
                             "long cannot have completed",
                             f.ms, timeout_ms));
    }
    out.push_back(std::move(f));
  }
  if (out.size() != urls.size()) {
    return Bad(name, fmt::format("must give a result for each of the {} URLs listed by GET "
                                 "/v1/device/probes, not {}",
                                 urls.size(), out.size()));
  }
  return out;
}

PartResponse ErrorAnswer(int status, std::string_view code, std::string_view message,
                         json extra = json::object()) {
  json body = std::move(extra);
  body["error"] = {{"code", code}, {"message", message}};
  return PartResponse{status, std::move(body)};
}

std::string FormatHourMinute(std::chrono::system_clock::time_point t) {
  auto s = core::FormatTime(t);  // 2026-11-27T11:00:00Z
  return s.size() >= 16 ? s.substr(11, 5) : s;
}

}  // namespace

core::Result<MeasuredBody> ParseMeasuredBody(const std::string& body,
                                             const DeviceCatalog& catalog) {
  auto doc =
      ParseObjectBody(body, {"device", "platform", "reached", "probes", "controls", "connection"});
  if (!doc.ok()) return doc.error();
  MeasuredBody out;
  const json& d = *doc;

  auto device = d.find("device");
  if (device == d.end() || device->is_null()) return Bad("device", "is missing");
  if (!device->is_string() || !IsDeviceId(device->get<std::string>())) {
    return Bad("device", "must be the page's device id: 16-64 letters, digits, '-' or '_'");
  }
  out.device = device->get<std::string>();

  auto platform = d.find("platform");
  if (platform == d.end() || platform->is_null()) return Bad("platform", "is missing");
  if (!platform->is_string()) return Bad("platform", "must be a platform id");
  out.platform = platform->get<std::string>();
  auto p = std::find_if(catalog.platforms.begin(), catalog.platforms.end(),
                        [&](const DeviceCatalog::Platform& x) { return x.id == out.platform; });
  if (p == catalog.platforms.end()) {
    return Bad("platform",
               fmt::format("{} is not a watched platform with device probes", Quote(out.platform)));
  }

  auto reached = d.find("reached");
  if (reached == d.end() || !reached->is_boolean()) return Bad("reached", "must be true or false");
  out.reached = reached->get<bool>();

  const double timeout_ms = static_cast<double>(catalog.timeout.count());
  LL_ASSIGN(std::vector<Fetch> probes, ParseFetches(d, "probes", p->urls, timeout_ms));
  std::vector<std::string> control_urls;
  for (const auto& c : catalog.controls) {
    control_urls.insert(control_urls.end(), c.urls.begin(), c.urls.end());
  }
  LL_ASSIGN(std::vector<Fetch> controls, ParseFetches(d, "controls", control_urls, timeout_ms));

  const bool any = std::any_of(probes.begin(), probes.end(), [](const Fetch& f) { return f.ok; });
  if (any != out.reached) {
    return Bad("reached", out.reached ? "is true, but none of the probes completed"
                                      : "is false, but a probe completed");
  }
  for (const Fetch& f : probes) {
    if (f.ok && (!out.best_ms || f.ms < *out.best_ms)) out.best_ms = f.ms;
  }
  out.controls_total = static_cast<int>(controls.size());
  for (const Fetch& f : controls) out.controls_ok += f.ok ? 1 : 0;
  if (!out.reached && out.controls_ok == 0) {
    return Bad("controls",
               fmt::format("shows that this device reached no control site either: it is offline, "
                           "which says nothing about {} (nothing was stored)",
                           p->name));
  }

  if (auto conn = d.find("connection"); conn != d.end() && !conn->is_null()) {
    if (!conn->is_object()) return Bad("connection", "must be an object {type, effective_type}");
    for (const auto& [key, value] : conn->items()) {
      if (key != "type" && key != "effective_type") {
        return Bad(
            "connection",
            fmt::format("has an unknown field {} (fields: type, effective_type)", Quote(key)));
      }
    }
    auto word = [&](const char* key, std::span<const std::string_view> valid,
                    std::string* to) -> core::Status {
      auto it = conn->find(key);
      if (it == conn->end() || it->is_null()) return core::Ok();
      const std::string field = std::string("connection.") + key;
      std::string all;
      for (std::string_view v : valid) all += (all.empty() ? "" : ", ") + std::string(v);
      if (!it->is_string() ||
          std::find(valid.begin(), valid.end(), it->get<std::string>()) == valid.end()) {
        return Bad(field, fmt::format("must be one of {}", all));
      }
      *to = it->get<std::string>();
      return core::Ok();
    };
    LL_TRY(word("type", kConnectionTypes, &out.connection));
    LL_TRY(word("effective_type", kEffectiveTypes, &out.effective_type));
    if (out.connection == "none" && (out.reached || out.controls_ok > 0)) {
      return Bad("connection.type", "is \"none\" (no network), yet the device reached a site");
    }
  }
  return out;
}

DeviceRoutes::DeviceRoutes(DeviceCatalog catalog, store::Store& store, DeviceRoutesOptions options)
    : catalog_(std::move(catalog)), store_(store), options_(std::move(options)) {
  if (!options_.now) options_.now = [] { return std::chrono::system_clock::now(); };
  json platforms = json::array();
  for (const auto& p : catalog_.platforms) {
    platforms.push_back(
        {{"platform", p.id}, {"name", p.name}, {"domain", p.domain}, {"device_probes", p.urls}});
  }
  json controls = json::array();
  for (const auto& c : catalog_.controls) {
    controls.push_back({{"id", c.id}, {"device_probes", c.urls}});
  }
  probes_body_ = {{"platforms", std::move(platforms)},         {"controls", std::move(controls)},
                  {"timeout_ms", catalog_.timeout.count()},    {"slow_ms", catalog_.slow.count()},
                  {"max_body_bytes", options_.max_body_bytes}, {"public_url", catalog_.public_url}};
}

std::vector<PartRoute> DeviceRoutes::Routes() {
  std::vector<PartRoute> routes;
  // Public like POST /v1/reports: the person checking a phone has no API token.
  routes.push_back(
      {"GET", "/v1/device/probes", Role::kNone, {}, PartBody::kNone, [this](const PartRequest& r) {
         return Probes(r);
       }});
  routes.push_back({"POST",
                    "/v1/device/reports",
                    Role::kNone,
                    {},
                    PartBody::kRequired,
                    [this](const PartRequest& r) { return Report(r); }});
  return routes;
}

std::string DeviceRoutes::Metrics() {
  return fmt::format(
      "# HELP lifeline_device_reports_total Measured reports from the dashboard's device check.\n"
      "# TYPE lifeline_device_reports_total counter\n"
      "lifeline_device_reports_total{{outcome=\"accepted\"}} {}\n"
      "lifeline_device_reports_total{{outcome=\"duplicate\"}} {}\n"
      "lifeline_device_reports_total{{outcome=\"refused\"}} {}\n",
      accepted_.load(), duplicate_.load(), refused_.load());
}

core::Result<PartResponse> DeviceRoutes::Probes(const PartRequest&) {
  return PartResponse{200, probes_body_};
}

core::Result<PartResponse> DeviceRoutes::Report(const PartRequest& r) {
  if (r.body.size() > options_.max_body_bytes) {
    ++refused_;
    return ErrorAnswer(413, "resource_exhausted",
                       fmt::format("the report is {} bytes, over the limit of {} bytes for a "
                                   "measured report; nothing was stored",
                                   r.body.size(), options_.max_body_bytes));
  }
  auto body = ParseMeasuredBody(r.body, catalog_);
  if (!body.ok()) {
    ++refused_;
    return body.error();
  }
  if (r.client_key.empty()) {
    return MakeError(ErrorCode::kInternal, "no client key for the measured report");
  }
  const auto now = options_.now();
  const store::Time at = store::FromSystem(now);
  auto device_key = store_.ClientKey("device:" + body->device, at);
  if (!device_key.ok()) return device_key.error();
  auto address_key = store_.ClientKey("address:" + r.client_key, at);
  if (!address_key.ok()) return address_key.error();
  store::MeasuredReport report;
  report.platform = body->platform;
  report.device_key = *device_key;
  report.address_key = *address_key;
  report.at = at;
  report.reached = body->reached;
  report.controls_ok = body->controls_ok;
  report.controls_total = body->controls_total;
  report.best_ms = body->best_ms;
  report.connection = body->connection;
  report.effective_type = body->effective_type;

  const auto& platform =
      *std::find_if(catalog_.platforms.begin(), catalog_.platforms.end(),
                    [&](const DeviceCatalog::Platform& p) { return p.id == body->platform; });
  const auto next = store::HourOf(at) + std::chrono::hours(1);
  const auto next_sys = std::chrono::system_clock::time_point(next.time_since_epoch());
  if (auto added = store_.DeviceReports().Add(report, options_.max_per_address); !added.ok()) {
    const auto code = added.error().code();
    if (code == ErrorCode::kAlreadyExists || code == ErrorCode::kResourceExhausted) {
      ++duplicate_;
      std::string message =
          code == ErrorCode::kAlreadyExists
              ? fmt::format(
                    "This device already sent its result for {} this hour: one measured "
                    "report per device per platform per hour counts, and that one still "
                    "does. Send again after {} UTC.",
                    platform.name, FormatHourMinute(next_sys))
              : fmt::format(
                    "Too many measured reports for {} came from this network this hour "
                    "(at most {} count). Send again after {} UTC.",
                    platform.name, options_.max_per_address, FormatHourMinute(next_sys));
      return ErrorAnswer(429, "resource_exhausted", message,
                         {{"retry_after", core::FormatTime(next_sys)}});
    }
    return added.error();
  }
  ++accepted_;
  // What the person's report now adds up to (the board shows it from the engine's next round).
  using std::chrono::milliseconds;
  const store::TimeRange hour{store::FromSystem(now - std::chrono::hours(1)) + milliseconds(1),
                              at + milliseconds(1)};
  auto crowd = store_.CountReports(body->platform, hour);
  if (!crowd.ok()) return crowd.error();
  auto measured = store_.DeviceReports().Count(body->platform, hour);
  if (!measured.ok()) return measured.error();
  std::int64_t unreachable = 0, reachable = 0;
  if (!measured->empty()) {
    unreachable = measured->front().unreachable;
    reachable = measured->front().reachable;
  }
  return PartResponse{201,
                      {{"accepted", true},
                       {"platform", body->platform},
                       {"reached", body->reached},
                       {"counted", !body->reached},
                       {"reports_last_hour", *crowd},
                       {"measured_last_hour",
                        {{"reports", unreachable + reachable},
                         {"unreachable", unreachable},
                         {"reachable", reachable}}},
                       {"next_report_after", core::FormatTime(next_sys)}}};
}

}  // namespace lifeline::api
