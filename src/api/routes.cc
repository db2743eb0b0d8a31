// The API's routes: one handler per endpoint of /work/notes/api.md, each validating its query and
// body (unknown fields and parameters are refused, naming them) before asking the Backend.
#include "api/routes.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <optional>

#include "core/types.h"

namespace lifeline::api::internal {
namespace {

using json = nlohmann::json;
using boost::asio::awaitable;
using core::ErrorCode;
using core::MakeError;

constexpr std::size_t kMaxIncidentLimit = 1000;
constexpr std::size_t kMaxCursor = 512;
constexpr std::size_t kMaxCheckPlatforms = 1000;
constexpr auto kDefaultHistory = std::chrono::hours(6);
constexpr auto kMaxHistory = std::chrono::hours(24 * 90);  // aggregates are kept 90 days

constexpr std::string_view kReportKinds[] = {"login",   "feed",  "messages",
                                             "posting", "calls", "other"};

Response BadRequest(std::string_view message) {
  return ErrorResponse(http::status::bad_request, "invalid_argument", message);
}

Response FromResult(const core::Result<json>& r, http::status ok = http::status::ok) {
  if (!r) return ErrorResponse(r.error());
  return JsonResponse(ok, *r);
}

// A non-negative integer query parameter in [min, max].
core::Result<std::int64_t> IntParam(const std::string& text, std::string_view name,
                                    std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "query parameter '{}' must be an integer from {} to {}, not '{}'", name, min,
                     max, text.substr(0, 64));
  }
  return v;
}

core::Result<std::chrono::system_clock::time_point> TimeParam(const std::string& text,
                                                              std::string_view name) {
  auto t = ParseRfc3339(text);
  if (!t) {
    return MakeError(ErrorCode::kInvalidArgument, "query parameter '{}': {}", name,
                     t.error().message());
  }
  return t;
}

// ---- handlers ----

awaitable<Response> Healthz(Env& env, Request&) {
  core::Status health = env.backend.Health();
  if (health) co_return JsonResponse(http::status::ok, {{"status", "ok"}, {"store", "ok"}});
  co_return JsonResponse(http::status::service_unavailable,
                         {{"status", "unavailable"},
                          {"store", "error"},
                          {"error",
                           {{"code", core::ErrorCodeName(health.error().code())},
                            {"message", health.error().message()}}}});
}

awaitable<Response> Metrics(Env& env, Request&) {
  Response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = env.metrics.Render();
  std::string backend = env.backend.Metrics();
  r.body += backend;
  for (RouteGroup* group : env.options.groups) {
    if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
    r.body += group->Metrics();
  }
  if (!r.body.empty() && r.body.back() != '\n') r.body += '\n';
  co_return r;
}

awaitable<Response> OpenApi(Env&, Request&) {
  Response r;
  r.cache_control = "no-cache";
  r.body = std::string(OpenApiDocument());
  co_return r;
}

awaitable<Response> Platforms(Env& env, Request&) {
  std::shared_ptr<const std::string> body = env.backend.PlatformsBody();
  if (!body) {
    co_return ErrorResponse(http::status::service_unavailable, "unavailable",
                            "no platform state yet: the first round of checks is running");
  }
  Response r;
  r.shared_body = std::move(body);
  co_return r;
}

awaitable<Response> Platform(Env& env, Request& req) {
  co_return FromResult(env.backend.Platform(req.Param("id")));
}

awaitable<Response> History(Env& env, Request& req) {
  auto to = std::chrono::system_clock::now();
  if (const std::string* v = req.Query("to")) {
    auto t = TimeParam(*v, "to");
    if (!t) co_return ErrorResponse(t.error());
    to = *t;
  }
  auto from = to - kDefaultHistory;
  if (const std::string* v = req.Query("from")) {
    auto t = TimeParam(*v, "from");
    if (!t) co_return ErrorResponse(t.error());
    from = *t;
  }
  if (const std::string* step = req.Query("step"); step && *step != "1m") {
    co_return BadRequest(
        "query parameter 'step' must be 1m (history is kept as 1-minute aggregates)");
  }
  if (from >= to) co_return BadRequest("query parameter 'from' must be before 'to'");
  if (to - from > kMaxHistory) {
    co_return BadRequest("the range from 'from' to 'to' must be at most 90 days");
  }
  co_return FromResult(env.backend.History(req.Param("id"), from, to));
}

// Takes platform ids only, never a URL or an address: the check runs the probes of platforms in
// the operator's own config, so a caller cannot aim `serve` at a host of its choosing and no
// address policy applies. A route that ever takes a URL to fetch (a webhook target, say) must check
// each address it connects to with core::AddressPolicy, as the agent does (probe::Options::
// address_policy), under a setting of its own.
awaitable<Response> Check(Env& env, Request& req) {
  std::vector<std::string> ids;
  if (!req.body.empty()) {
    auto doc = ParseJsonObject(req.body);
    if (!doc) co_return ErrorResponse(doc.error());
    if (auto s = RejectUnknownFields(*doc, {"platforms"}); !s) co_return ErrorResponse(s.error());
    if (auto p = doc->find("platforms"); p != doc->end() && !p->is_null()) {
      if (!p->is_array()) {
        co_return BadRequest(fmt::format(
            "field 'platforms' must be an array of platform ids, not {}", p->type_name()));
      }
      if (p->empty()) {
        co_return BadRequest("field 'platforms' is empty; leave it out to check every platform");
      }
      if (p->size() > kMaxCheckPlatforms) {
        co_return BadRequest(
            fmt::format("field 'platforms' lists more than {} platforms", kMaxCheckPlatforms));
      }
      for (std::size_t i = 0; i < p->size(); ++i) {
        const json& id = (*p)[i];
        if (!id.is_string() || id.get_ref<const std::string&>().empty()) {
          co_return BadRequest(
              fmt::format("field 'platforms[{}]' must be a non-empty platform id", i));
        }
        ids.push_back(id.get<std::string>());
      }
    }
  }
  core::Result<json> report = co_await env.run_check(std::move(ids));
  co_return FromResult(report);
}

awaitable<Response> Incidents(Env& env, Request& req) {
  IncidentQuery q;
  if (const std::string* v = req.Query("state")) {
    if (*v != "open" && *v != "closed" && *v != "all") {
      co_return BadRequest("query parameter 'state' must be open, closed or all");
    }
    q.state = *v;
  }
  if (const std::string* v = req.Query("limit")) {
    auto n = IntParam(*v, "limit", 1, kMaxIncidentLimit);
    if (!n) co_return ErrorResponse(n.error());
    q.limit = static_cast<std::size_t>(*n);
  }
  if (const std::string* v = req.Query("cursor")) {
    if (v->size() > kMaxCursor) co_return BadRequest("query parameter 'cursor' is too long");
    q.cursor = *v;
  }
  co_return FromResult(env.backend.Incidents(q));
}

awaitable<Response> Incident(Env& env, Request& req) {
  co_return FromResult(env.backend.Incident(req.Param("id")));
}

awaitable<Response> IncidentEvents(Env& env, Request& req) {
  std::int64_t after = 0;
  if (const std::string* v = req.Query("after")) {
    auto n = IntParam(*v, "after", 0, std::numeric_limits<std::int64_t>::max());
    if (!n) co_return ErrorResponse(n.error());
    after = *n;
  }
  co_return FromResult(env.backend.IncidentEvents(req.Param("id"), after));
}

awaitable<Response> SubmitReport(Env& env, Request& req) {
  auto doc = ParseJsonObject(req.body);
  if (!doc) co_return ErrorResponse(doc.error());
  if (auto s = RejectUnknownFields(*doc, {"platform", "kind"}); !s) {
    co_return ErrorResponse(s.error());
  }
  auto platform = doc->find("platform");
  if (platform == doc->end()) co_return BadRequest("field 'platform' is missing");
  if (!platform->is_string() || platform->get_ref<const std::string&>().empty()) {
    co_return BadRequest("field 'platform' must be a non-empty platform id");
  }
  std::string kind;
  if (auto k = doc->find("kind"); k != doc->end() && !k->is_null()) {
    bool known =
        k->is_string() && std::find(std::begin(kReportKinds), std::end(kReportKinds),
                                    k->get_ref<const std::string&>()) != std::end(kReportKinds);
    if (!known) {
      co_return BadRequest(
          "field 'kind' must be one of login, feed, messages, posting, calls, other");
    }
    kind = k->get<std::string>();
  }
  co_return FromResult(env.backend.SubmitReport(platform->get_ref<const std::string&>(), kind,
                                                ReportClientKey(req.peer_address)),
                       http::status::created);
}

awaitable<Response> Reports(Env& env, Request& req) {
  const std::string* platform = req.Query("platform");
  co_return FromResult(env.backend.Reports(platform ? std::string_view(*platform) : ""));
}

awaitable<Response> StatusPages(Env& env, Request&) {
  co_return JsonResponse(http::status::ok, env.backend.StatusPages());
}

}  // namespace

std::string_view Request::Param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

const std::string* Request::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

Response JsonResponse(http::status status, const json& body) {
  Response r;
  r.status = status;
  // Backend messages may quote what remote servers sent: replace invalid UTF-8 rather than fail.
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.body += '\n';
  return r;
}

Response ErrorResponse(http::status status, std::string_view code, std::string_view message) {
  Response r;
  r.status = status;
  r.body = ErrorBody(code, message);
  return r;
}

Response ErrorResponse(const core::Error& error) {
  return ErrorResponse(StatusFor(error.code()), core::ErrorCodeName(error.code()), error.message());
}

core::Result<Route> FromPart(const PartRoute& part) {
  http::verb method = http::string_to_verb(part.method);
  if (method == http::verb::unknown) {
    return core::MakeError(core::ErrorCode::kInternal, "route {}: unknown method '{}'",
                           part.pattern, part.method);
  }
  if ((!part.handle && !part.start) || part.pattern.empty() || part.pattern.front() != '/') {
    return core::MakeError(core::ErrorCode::kInternal,
                           "route {} {}: needs a handler and a pattern starting with '/'",
                           part.method, part.pattern);
  }
  Route r{method,
          part.pattern,
          part.min_role,
          {},
          part.body == PartBody::kNone       ? BodyRule::kNone
          : part.body == PartBody::kOptional ? BodyRule::kOptional
                                             : BodyRule::kRequired,
          RouteKind::kHandler,
          nullptr};
  for (const std::string& q : part.query) r.query.push_back(q);
  r.part = &part;
  return r;
}

namespace {

PartRequest ToPartRequest(Request& request) {
  PartRequest pr;
  auto m = http::to_string(request.method);
  pr.method.assign(m.data(), m.size());
  pr.path = request.path;
  pr.params = request.params;
  pr.query = request.query;
  pr.body = request.body;
  pr.role = request.role;
  pr.client_key = ReportClientKey(request.peer_address);
  pr.headers = request.headers;
  return pr;
}

Response FromPartAnswer(core::Result<PartResponse> answer) {
  if (!answer.ok()) return ErrorResponse(answer.error());
  if (!answer->content_type.empty()) {
    Response r;
    r.status = static_cast<http::status>(answer->status);
    r.content_type = std::move(answer->content_type);
    r.body = std::move(answer->raw_body);
    return r;
  }
  return JsonResponse(static_cast<http::status>(answer->status), answer->body);
}

}  // namespace

Response RunPart(const PartRoute& part, Request& request) {
  const PartRequest pr = ToPartRequest(request);
  core::Result<PartResponse> answer = [&]() -> core::Result<PartResponse> {
    try {
      return part.handle(pr);
    } catch (const std::exception& e) {
      // A part's handler should return errors, not throw; never take the server down for it.
      return core::MakeError(core::ErrorCode::kInternal, "{} {}: {}", part.method, part.pattern,
                             e.what());
    }
  }();
  return FromPartAnswer(std::move(answer));
}

void StartPart(const PartRoute& part, Request& request, std::function<void(Response)> answered) {
  const PartRequest pr = ToPartRequest(request);
  struct Once {
    std::atomic<bool> called{false};
    std::function<void(Response)> answered;
  };
  auto once = std::make_shared<Once>();
  once->answered = std::move(answered);
  auto done = [once](core::Result<PartResponse> answer) {
    if (once->called.exchange(true)) return;
    once->answered(FromPartAnswer(std::move(answer)));
  };
  try {
    part.start(pr, done);
  } catch (const std::exception& e) {
    done(core::MakeError(core::ErrorCode::kInternal, "{} {}: {}", part.method, part.pattern,
                         e.what()));
  }
}

const std::vector<Route>& RouteTable() {
  using V = http::verb;
  static const std::vector<Route> kRoutes = {
      {V::get, "/healthz", Role::kNone, {}, BodyRule::kNone, RouteKind::kHandler, Healthz},
      {V::get, "/metrics", Role::kViewer, {}, BodyRule::kNone, RouteKind::kHandler, Metrics},
      {V::get, "/openapi.json", Role::kNone, {}, BodyRule::kNone, RouteKind::kHandler, OpenApi},
      {V::get, "/v1/platforms", Role::kViewer, {}, BodyRule::kNone, RouteKind::kHandler, Platforms},
      {V::get,
       "/v1/platforms/{id}",
       Role::kViewer,
       {},
       BodyRule::kNone,
       RouteKind::kHandler,
       Platform},
      {V::get,
       "/v1/platforms/{id}/history",
       Role::kViewer,
       {"from", "to", "step"},
       BodyRule::kNone,
       RouteKind::kHandler,
       History},
      {V::post, "/v1/check", Role::kOperator, {}, BodyRule::kOptional, RouteKind::kHandler, Check},
      {V::get,
       "/v1/incidents",
       Role::kViewer,
       {"state", "limit", "cursor"},
       BodyRule::kNone,
       RouteKind::kHandler,
       Incidents},
      {V::get,
       "/v1/incidents/{id}",
       Role::kViewer,
       {},
       BodyRule::kNone,
       RouteKind::kHandler,
       Incident},
      {V::get,
       "/v1/incidents/{id}/events",
       Role::kViewer,
       {"after"},
       BodyRule::kNone,
       RouteKind::kHandler,
       IncidentEvents},
      {V::post,
       "/v1/reports",
       Role::kNone,
       {},
       BodyRule::kRequired,
       RouteKind::kHandler,
       SubmitReport},
      {V::get,
       "/v1/reports",
       Role::kViewer,
       {"platform"},
       BodyRule::kNone,
       RouteKind::kHandler,
       Reports},
      {V::get,
       "/v1/status-pages",
       Role::kViewer,
       {},
       BodyRule::kNone,
       RouteKind::kHandler,
       StatusPages},
      {V::get, "/v1/events", Role::kViewer, {}, BodyRule::kNone, RouteKind::kEvents, nullptr},
  };
  return kRoutes;
}

bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  if (pattern.empty() || path.empty() || path.front() != '/') return false;
  pattern.remove_prefix(1);
  path.remove_prefix(1);
  while (true) {
    auto ps = pattern.find('/');
    auto qs = path.find('/');
    std::string_view want = pattern.substr(0, ps);
    std::string_view got = path.substr(0, qs);
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      auto value = PercentDecode(got, false);
      if (got.empty() || !value) return false;
      params.emplace_back(std::string(want.substr(1, want.size() - 2)), std::move(*value));
    } else if (want != got) {
      return false;
    }
    if ((ps == std::string_view::npos) != (qs == std::string_view::npos)) return false;
    if (ps == std::string_view::npos) return true;
    pattern.remove_prefix(ps + 1);
    path.remove_prefix(qs + 1);
  }
}

bool IsApiPath(std::string_view path) {
  return path == "/v1" || path.starts_with("/v1/") || path == "/healthz" || path == "/metrics" ||
         path == "/openapi.json";
}

std::string ReportClientKey(std::string_view address) {
  std::string input = "lifeline-report-client:";
  input += address;
  return Sha256Hex(input);
}

}  // namespace lifeline::api::internal

namespace lifeline::api {

std::vector<RouteInfo> Routes() {
  std::vector<RouteInfo> out;
  for (const auto& r : internal::RouteTable()) {
    RouteInfo info;
    auto m = boost::beast::http::to_string(r.method);
    info.method.assign(m.data(), m.size());
    info.pattern = std::string(r.pattern);
    info.min_role = r.min_role;
    for (auto q : r.query) info.query.emplace_back(q);
    out.push_back(std::move(info));
  }
  return out;
}

std::string_view PartRequest::Param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

const std::string* PartRequest::Query(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

const std::string* PartRequest::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (internal::IEquals(k, name)) return &v;
  }
  return nullptr;
}

}  // namespace lifeline::api
