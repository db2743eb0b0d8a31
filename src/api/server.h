// The HTTP API of `lifeline serve`: REST under /v1, live events, /metrics, /healthz, the OpenAPI
// document and the dashboard's static files, on Boost.Beast with its own asio threads.
// Contract: /work/notes/api.md and docs/openapi.json.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/backend.h"
#include "core/result.h"

namespace lifeline::api {

class RouteGroup;

struct ServerOptions {
  // "ADDR:PORT" (IPv6 in brackets). Port 0 picks a free port: see Server::port().
  std::string listen = "127.0.0.1:8080";
  // Threads running the server's own io_context. One is plenty (the bench reaches its target on
  // one); more spread connections over cores.
  std::size_t threads = 1;
  // Threads running the part routes marked `blocking` (a webhook stored on disk before its
  // answer): as many such requests wait at once, so a store that commits them together (the
  // inbox's group commit) gets them together.
  std::size_t blocking_threads = 32;
  // The role of a request without a token (api.anonymous_role). kNone: every route that needs a
  // role answers 401.
  Role anonymous_role = Role::kViewer;
  // Request bodies above this are refused with 413 (declared or chunked).
  std::size_t max_body_bytes = 64 * 1024;
  // More connections than this are accepted and closed at once.
  std::size_t max_connections = 4096;
  // The whole request header must arrive within this (slowloris); it is also how long an idle
  // keep-alive connection stays open.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{10000};   // the whole body, once the header is in
  std::chrono::milliseconds write_timeout{30000};  // one response (or one live-event write)
  // POST /v1/check answers 504 when the backend has not answered within this.
  std::chrono::milliseconds check_timeout{120000};
  // Stop() waits this long for requests in flight before closing what is left.
  std::chrono::milliseconds drain_timeout{5000};
  // A ": ping" comment on /v1/events this often, so proxies and clients see the stream alive.
  std::chrono::milliseconds sse_ping_interval{15000};
  // Events queued for one /v1/events client that reads too slowly. Past this the client gets a
  // final "error" event and is disconnected, instead of the queue growing.
  std::size_t sse_queue_events = 1024;
  // The dashboard's built files (web/dist). Empty or missing: a page saying how to build it.
  std::string web_root;
  // Access-Control-Allow-Origin for the API ("*" or an origin). Empty (default): no CORS headers,
  // so browsers allow only same-origin pages (the dashboard the server itself serves).
  std::string cors_origin;
  // One line per request: peer, method, path (no query), status, time. Never a header value, a
  // token or a request body. Null: silent. Called on a server thread.
  std::function<void(std::string_view)> log;
  // Response parts' route groups (route_group.h), served beside the core API; not owned, they
  // must outlive the Server. Their metrics and live events join /metrics and /v1/events.
  std::vector<RouteGroup*> groups;
};

// Runs the API on its own io_context and threads. Start and Stop are called from one outside
// thread (never from a server thread or a Backend callback). The Backend must outlive the Server.
class Server {
 public:
  Server(Backend& backend, ServerOptions options);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. kInvalidArgument for a bad listen address,
  // kUnavailable when it cannot be bound ("cannot listen on 127.0.0.1:8080: Address already in
  // use"), kFailedPrecondition when already started.
  core::Status Start();

  // Stops accepting, ends live-event streams and idle connections, fails waiting checks with 503,
  // lets requests in flight finish (up to drain_timeout), then stops the threads. Idempotent.
  void Stop();

  // The bound address and port, after Start.
  boost::asio::ip::tcp::endpoint endpoint() const;
  unsigned short port() const;

  struct State;  // implementation detail (server.cc)

 private:
  std::unique_ptr<State> state_;
};

// One entry of the routing table: what the OpenAPI document must describe.
struct RouteInfo {
  std::string method;   // "GET", "POST"
  std::string pattern;  // "/v1/platforms/{id}"
  Role min_role = Role::kNone;
  std::vector<std::string> query;  // accepted query parameters
};

// Every API route (static files excluded), in table order.
std::vector<RouteInfo> Routes();

// docs/openapi.json as built into the binary (served at /openapi.json).
std::string_view OpenApiDocument();

}  // namespace lifeline::api
