// What the HTTP API needs from the service behind it (the serve engine implements it; tests use a
// fake). The API is transport only: bodies are built here, in the engine's terms, as JSON.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/listeners.h"
#include "core/result.h"

namespace lifeline::api {

enum class Role { kNone = 0, kViewer = 1, kOperator = 2, kAdmin = 3 };

// A live update for GET /v1/events: `type` is the SSE event name (platform, incident,
// incident_event, observer), `data` its JSON payload.
struct LiveEvent {
  std::string type;
  nlohmann::json data;
};

struct IncidentQuery {
  std::string state = "all";  // open | closed | all
  std::size_t limit = 50;
  std::string cursor;  // from a previous answer's next_cursor
};

// Every method is thread-safe and may be called from the API's own thread; none may block for
// long (no probing inline: CheckNow answers through its callback). Errors use the most specific
// core::ErrorCode (kNotFound for an unknown platform or incident, kInvalidArgument for bad input).
class Backend {
 public:
  virtual ~Backend() = default;

  // GET /v1/platforms: the whole body, serialized once per change (this is the hot path).
  virtual std::shared_ptr<const std::string> PlatformsBody() = 0;
  virtual core::Result<nlohmann::json> Platform(std::string_view id) = 0;
  virtual core::Result<nlohmann::json> History(std::string_view id,
                                               std::chrono::system_clock::time_point from,
                                               std::chrono::system_clock::time_point to) = 0;
  // POST /v1/check: runs a check now; `done` is called once, on any thread.
  virtual void CheckNow(std::vector<std::string> platform_ids,
                        std::function<void(core::Result<nlohmann::json>)> done) = 0;
  virtual core::Result<nlohmann::json> Incidents(const IncidentQuery& query) = 0;
  virtual core::Result<nlohmann::json> Incident(std::string_view id) = 0;
  virtual core::Result<nlohmann::json> IncidentEvents(std::string_view id, std::int64_t after) = 0;
  // POST /v1/reports. `client_key` identifies the client (a hash of its address); a second report
  // for the same platform within the hour is kResourceExhausted.
  virtual core::Result<nlohmann::json> SubmitReport(std::string_view platform,
                                                    std::string_view kind,
                                                    std::string_view client_key) = 0;
  virtual core::Result<nlohmann::json> Reports(std::string_view platform) = 0;
  virtual nlohmann::json StatusPages() = 0;
  // The engine's part of /metrics, Prometheus text format.
  virtual std::string Metrics() = 0;
  // Store health for /healthz.
  virtual core::Status Health() = 0;

  // Live updates. The callback runs on the engine's thread: it must only queue. Unsubscribes when
  // the returned handle is destroyed.
  using Subscription = core::Subscription;
  virtual std::unique_ptr<Subscription> Subscribe(std::function<void(const LiveEvent&)> sink) = 0;

  // Bearer token -> role; kUnauthenticated for an unknown or revoked token.
  virtual core::Result<Role> Authenticate(std::string_view bearer_token) = 0;
};

}  // namespace lifeline::api
