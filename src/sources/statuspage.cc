// Reads Atlassian Statuspage v2 summary.json documents (the official status of most platforms) and
// fetches them; every failure becomes a StatusPageState saying why, never an exception.
#include "sources/statuspage.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "sources/feed.h"

namespace lifeline::sources {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 5> kIndicators = {"none", "minor", "major", "critical",
                                                         "maintenance"};

// Summaries of pages with hundreds of components run to a few hundred KiB; incident feeds with
// years of history to about a MiB. A larger answer is cut off and reported unreadable.
constexpr std::size_t kMaxSummaryBytes = 4 << 20;

// Reads an optional string member; a present value of another type is an error naming `path`.
core::Result<std::string> OptionalString(const json& object, const char* key,
                                         const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: must be a string, not {}", path,
                           it->type_name());
  }
  return it->get<std::string>();
}

// Reads an optional array member (absent or null: empty).
core::Result<const json*> OptionalArray(const json& object, const char* key) {
  static const json kEmpty = json::array();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return &kEmpty;
  if (!it->is_array()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: must be an array, not {}", key,
                           it->type_name());
  }
  return &*it;
}

// Incidents and maintenances that are over still appear on some pages for a while.
bool IsOver(std::string_view status) {
  return status == "resolved" || status == "postmortem" || status == "completed" ||
         status == "scheduled";
}

// One line for a person from a failed transport: the prober's own message when it has one.
std::string DescribeTransport(const core::ProbeResult& t) {
  if (!t.message.empty()) return t.message;
  if (t.detail.empty()) return std::string(core::LayerName(t.layer)) + " failure";
  return fmt::format("{} {}", core::LayerName(t.layer), t.detail);
}

}  // namespace

core::Result<StatusPageState> ParseStatuspageSummary(std::string_view body) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    if (body.empty()) return core::MakeError(core::ErrorCode::kInvalidArgument, "empty body");
    return core::MakeError(core::ErrorCode::kInvalidArgument, "not valid JSON (at byte {})",
                           e.byte);
  } catch (const json::exception&) {  // out_of_range: a number past a double's range
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "not valid JSON (a number too large)");
  }
  if (!doc.is_object()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument, "top level must be an object, not {}",
                           doc.type_name());
  }
  StatusPageState state;
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "status: missing or not an object (not a Statuspage v2 summary)");
  }
  auto indicator = status->find("indicator");
  if (indicator == status->end() || !indicator->is_string()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "status.indicator: missing or not a string");
  }
  state.indicator = indicator->get<std::string>();
  if (std::find(kIndicators.begin(), kIndicators.end(), state.indicator) == kIndicators.end()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "status.indicator: '{}' is not one of none, minor, major, critical, "
                           "maintenance",
                           state.indicator);
  }
  LL_ASSIGN(state.description, OptionalString(*status, "description", "status.description"));

  const json* components = nullptr;
  LL_ASSIGN(components, OptionalArray(doc, "components"));
  for (std::size_t i = 0; i < components->size(); ++i) {
    const json& c = (*components)[i];
    std::string at = fmt::format("components[{}]", i);
    if (!c.is_object()) {
      return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: must be an object", at);
    }
    std::string name, cstatus;
    LL_ASSIGN(name, OptionalString(c, "name", at + ".name"));
    LL_ASSIGN(cstatus, OptionalString(c, "status", at + ".status"));
    if (cstatus.empty()) {
      return core::MakeError(core::ErrorCode::kInvalidArgument, "{}.status: missing", at);
    }
    // A group's status rolls up its members, which are listed themselves.
    if (auto g = c.find("group"); g != c.end() && g->is_boolean() && g->get<bool>()) continue;
    if (cstatus != "operational") state.degraded_components.emplace_back(name, cstatus);
  }

  // Incidents, then maintenances under way (they also explain a "maintenance" indicator).
  for (const char* key : {"incidents", "scheduled_maintenances"}) {
    const json* list = nullptr;
    LL_ASSIGN(list, OptionalArray(doc, key));
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& e = (*list)[i];
      std::string at = fmt::format("{}[{}]", key, i);
      if (!e.is_object()) {
        return core::MakeError(core::ErrorCode::kInvalidArgument, "{}: must be an object", at);
      }
      StatusIncident incident;
      LL_ASSIGN(incident.name, OptionalString(e, "name", at + ".name"));
      LL_ASSIGN(incident.impact, OptionalString(e, "impact", at + ".impact"));
      LL_ASSIGN(incident.status, OptionalString(e, "status", at + ".status"));
      LL_ASSIGN(incident.url, OptionalString(e, "shortlink", at + ".shortlink"));
      std::string updated;
      LL_ASSIGN(updated, OptionalString(e, "updated_at", at + ".updated_at"));
      incident.updated_at = ParseRfc3339Time(updated);
      if (IsOver(incident.status)) continue;
      if (incident.impact.empty() && std::string_view(key) == "scheduled_maintenances") {
        incident.impact = "maintenance";
      }
      state.incidents.push_back(std::move(incident));
    }
  }
  state.fetched = true;
  return state;
}

boost::asio::awaitable<StatusPageState> FetchStatusPage(probe::Prober& prober,
                                                        core::StatusPageRef page,
                                                        std::chrono::milliseconds timeout) {
  StatusPageState state;
  const std::optional<FeedKind> feed = FeedKindByName(page.kind);
  if (page.kind != "statuspage" && !feed) {
    state.error =
        fmt::format("status page {}: kind '{}' is not supported (statuspage, rss, atom or feed)",
                    page.url, page.kind);
    co_return state;
  }
  probe::FetchRequest request;
  request.url = page.url;
  request.headers = {{"Accept", feed ? "application/rss+xml, application/atom+xml, "
                                       "application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"
                                     : "application/json"}};
  request.max_body_bytes = kMaxSummaryBytes;
  request.timeout = timeout;
  probe::FetchResponse response = co_await prober.Fetch(std::move(request));
  if (!response.transport.ok) {
    state.error =
        fmt::format("status page {}: {}", page.url, DescribeTransport(response.transport));
    co_return state;
  }
  if (response.status != 200) {
    state.error = fmt::format("status page {}: HTTP {}", page.url, response.status);
    co_return state;
  }
  if (feed) {
    FeedOptions options;
    options.kind = *feed;
    options.now = std::chrono::system_clock::now();
    options.window = page.window;
    auto parsed = ParseIncidentFeed(response.body, options);
    if (!parsed.ok()) {
      state.error = fmt::format("status page {}: not a readable {} feed: {}", page.url,
                                page.kind == "feed"  ? "RSS or Atom"
                                : page.kind == "rss" ? "RSS"
                                                     : "Atom",
                                parsed.error().message());
      co_return state;
    }
    co_return std::move(parsed).value();
  }
  auto parsed = ParseStatuspageSummary(response.body);
  if (!parsed.ok()) {
    state.error = fmt::format("status page {}: not a Statuspage v2 summary: {}", page.url,
                              parsed.error().message());
    co_return state;
  }
  co_return std::move(parsed).value();
}

}  // namespace lifeline::sources
