// A response part's own API routes (DESIGN.md: "The API is a set of route groups"). The relay
// brings /v1/outbox, /v1/contacts and /v1/channels, the playbook /v1/plans, and so on: each part
// implements RouteGroup in its own routes file and serve's wiring hands the groups to the Server.
// api::Backend stays the detector's (platforms and incidents).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/backend.h"
#include "core/result.h"

namespace lifeline::api {

// A request as a part's handler sees it: routed, authorized, its query checked against the
// route's list and its body (when the route takes one) declared as JSON and within the size cap.
struct PartRequest {
  std::string method;                                       // "GET", "POST", ...
  std::string path;                                         // still %-encoded
  std::vector<std::pair<std::string, std::string>> params;  // {name} -> decoded value
  std::vector<std::pair<std::string, std::string>> query;   // decoded, each name at most once
  std::string body;                                         // raw JSON text; empty when none
  Role role = Role::kNone;
  // A SHA-256 of the client's address, for parts that limit per client (the device check's
  // measured reports); never the address itself. Pass it through Store::ClientKey before storing.
  std::string client_key;
  // The request headers the route asked for (PartRoute::headers), names as the route spells
  // them; absent ones are left out. For webhooks that sign the raw body.
  std::vector<std::pair<std::string, std::string>> headers;

  std::string_view Param(std::string_view name) const;
  const std::string* Query(std::string_view name) const;   // null when absent
  const std::string* Header(std::string_view name) const;  // null when absent
};

struct PartResponse {
  int status = 200;  // 200, 201, 202, ...
  nlohmann::json body;
  // An answer that is not JSON (a Markdown or HTML document): when content_type is set, raw_body
  // is sent as is with that Content-Type and `body` is ignored.
  std::string content_type;
  std::string raw_body;
};

enum class PartBody { kNone, kOptional, kRequired };

struct PartRoute {
  std::string method;   // "GET", "POST", "PUT", "DELETE"
  std::string pattern;  // "/v1/outbox/{id}/retry": {name} matches one segment
  Role min_role = Role::kViewer;
  std::vector<std::string> query;  // accepted query parameters
  PartBody body = PartBody::kNone;
  // Runs on a server thread: it must not block for long (no delivery inline). An Error becomes
  // the API's usual error answer (kNotFound 404, kInvalidArgument 400, kFailedPrecondition 409,
  // kAlreadyExists 409, kUnavailable 503, ...).
  std::function<core::Result<PartResponse>(const PartRequest&)> handle;
  // Request headers the handler reads (any case; "X-Hub-Signature-256"): only these reach it.
  std::vector<std::string> headers = {};
  // The handler waits on the disk (a webhook stored durably before it is answered): it runs on
  // the server's pool of blocking threads (ServerOptions::blocking_threads), never on an I/O
  // thread, so other requests go on meanwhile and concurrent ones can share a commit.
  bool blocking = false;
  // Instead of `handle`, for a handler that waits on the disk without holding any thread (the
  // inbox's webhooks: their messages share the store's group commit): starts the work on the
  // server thread — what it does before returning must be quick — and answers through `done`
  // later, from any thread. Only the first call of `done` counts.
  using Done = std::function<void(core::Result<PartResponse>)>;
  std::function<void(const PartRequest&, Done)> start = {};
};

class RouteGroup {
 public:
  virtual ~RouteGroup() = default;
  // Called once, when the server starts. Patterns must not collide with another group's or the
  // core API's (the server refuses to start: kInternal naming both).
  virtual std::vector<PartRoute> Routes() = 0;
  // The part's lines of /metrics (Prometheus text), appended after the engine's.
  virtual std::string Metrics() { return {}; }
  // The part's live events for GET /v1/events, merged with the engine's. The sink only queues.
  // Null: the part publishes none.
  virtual std::unique_ptr<Backend::Subscription> Subscribe(
      std::function<void(const LiveEvent&)> sink) {
    (void)sink;
    return nullptr;
  }
};

}  // namespace lifeline::api
