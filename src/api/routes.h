// The API's routing table and request handlers, independent of the transport: a handler gets a
// parsed, authorized request and returns what to answer. The server (server.cc) owns sockets.
#pragma once

// GCC 12: <utility> must precede Boost's awaitable header.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/backend.h"
#include "api/http_util.h"
#include "api/metrics.h"
#include "api/route_group.h"
#include "api/server.h"
#include "core/result.h"

namespace lifeline::api::internal {

namespace http = boost::beast::http;

struct Request {
  http::verb method = http::verb::get;
  std::string path;                                         // still %-encoded
  std::vector<std::pair<std::string, std::string>> params;  // {name} -> decoded value
  QueryParams query;                                        // validated against the route
  std::string body;                                         // empty when there was none
  Role role = Role::kNone;
  std::string peer_address;  // for the crowd-report client key only; never passed on or logged
  // A part's route: the headers it declared (PartRoute::headers), as sent.
  std::vector<std::pair<std::string, std::string>> headers;

  std::string_view Param(std::string_view name) const;
  // The query parameter's value, or null when absent.
  const std::string* Query(std::string_view name) const;
};

struct Response {
  http::status status = http::status::ok;
  std::string content_type = "application/json";
  std::string cache_control = "no-store";
  std::string body;
  // When set, the body instead of `body`: shared, never copied (GET /v1/platforms).
  std::shared_ptr<const std::string> shared_body;
  std::string allow;                                         // 405: the Allow header
  bool authenticate = false;                                 // 401: WWW-Authenticate: Bearer
  bool close = false;                                        // close the connection after answering
  std::vector<std::pair<std::string, std::string>> headers;  // any others

  std::string_view Body() const { return shared_body ? *shared_body : body; }
};

Response JsonResponse(http::status status, const nlohmann::json& body);
Response ErrorResponse(http::status status, std::string_view code, std::string_view message);
Response ErrorResponse(const core::Error& error);

// What handlers reach beyond the request.
struct Env {
  Backend& backend;
  const ServerOptions& options;
  const HttpMetrics& metrics;
  // Runs Backend::CheckNow without blocking the server thread, with the check timeout.
  std::function<boost::asio::awaitable<core::Result<nlohmann::json>>(std::vector<std::string>)>
      run_check;
};

enum class BodyRule { kNone, kOptional, kRequired };
enum class RouteKind { kHandler, kEvents };  // kEvents: the server streams /v1/events itself

using Handler = boost::asio::awaitable<Response> (*)(Env& env, Request& request);

struct Route {
  http::verb method;
  std::string_view pattern;
  Role min_role;
  std::vector<std::string_view> query;  // accepted query parameters
  BodyRule body;
  RouteKind kind;
  Handler handler;  // null for kEvents
  // A response part's route (route_group.h): called instead of `handler`.
  const PartRoute* part = nullptr;
};

// A part's route as a Route of the table: its pattern and body rule, `part` set.
core::Result<Route> FromPart(const PartRoute& part);

// The answer to a part's request: runs its handler and maps an Error to the usual error answer.
Response RunPart(const PartRoute& part, Request& request);
// Runs a part route's `start` (route_group.h); `answered` gets its answer once, from whatever
// thread gives it (at once when the handler throws).
void StartPart(const PartRoute& part, Request& request, std::function<void(Response)> answered);

const std::vector<Route>& RouteTable();

// True when `path` (%-encoded, no query) matches `pattern`; fills `params` with the decoded
// {name} segments. A {name} segment matches one non-empty segment.
bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>& params);

// True for paths the API owns (404 in JSON when unknown) rather than the dashboard.
bool IsApiPath(std::string_view path);

// The crowd-report key of a client address: a SHA-256 of it, so the backend never sees the
// address (it should still pass the key through Store::ClientKey before storing it).
std::string ReportClientKey(std::string_view address);

}  // namespace lifeline::api::internal
