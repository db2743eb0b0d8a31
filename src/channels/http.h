// Outbound HTTP for the adapters: one blocking request at a time per call, on a delivery worker
// (libcurl, as DESIGN.md chooses for outbound API calls). Says whether a failed request can have
// reached the far side, which decides between "retry" and "unconfirmed".
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

struct sockaddr;

namespace lifeline::channels {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  // May hold secrets (Authorization): never logged, never in a DeliveryResult.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string basic_auth;  // "user:password" for HTTP basic auth (Twilio); empty: none
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{15000};  // the whole exchange
};

struct HttpResponse {
  enum class Transport {
    kAnswered,  // a complete HTTP answer came back (any status)
    kNotSent,   // failed before any request byte could reach the far side (DNS, connect, TLS
                // handshake, refused address): safe to retry
    kLost,      // the request (or part of it) left and no complete answer came: the far side
                // may have acted on it
  };
  Transport transport = Transport::kNotSent;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;                                          // capped (HttpClientOptions)
  std::string error;  // kNotSent / kLost: one line ("connect to api.telegram.org:443 timed out")

  // The first header `name` (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
};

struct HttpClientOptions {
  std::string ca_file;                   // "" = the system's CAs
  std::size_t max_body_bytes = 1 << 20;  // longer answers are cut here (the status still counts)
  std::string user_agent = "lifeline";
  // Consulted with every address about to be connected to (after DNS, and for each redirect,
  // though adapters do not follow redirects); a non-OK status refuses the connection and the
  // request ends kNotSent with that message. Null: every address is allowed. Used where a remote
  // caller chose the URL (webhook targets added through the API), with the agent's address rule.
  std::function<core::Status(const struct sockaddr* address)> allow_address;
};

// Thread-safe: any number of threads may call Do at once.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResponse Do(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpClient> MakeCurlHttpClient(HttpClientOptions options = {});

// Retry-After as seconds ("120") or an HTTP date; nullopt when absent or unreadable.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace lifeline::channels
