// What the Meta Graph API publishing adapters (facebook/ and instagram/) share: reading Graph's
// error object, the rate-limit codes and usage headers, and the requests with the token in an
// Authorization header (never in a URL). Graph errors look like
//   {"error": {"message", "type", "code", "error_subcode", "fbtrace_id", "is_transient"}}
// (https://developers.facebook.com/docs/graph-api/guides/error-handling).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "channels/channel.h"
#include "channels/http.h"
#include "channels/http_adapter.h"

namespace lifeline::channels::graph {

struct GraphError {
  long long code = 0;
  long long subcode = 0;  // error_subcode; 0 when absent
  std::string message;    // one line
  std::string type;       // "OAuthException", "GraphMethodException"...
  std::string fbtrace_id;
  std::string user_message;  // error_user_msg, when given
  bool transient = false;    // is_transient: Meta says a retry may work
};

// The error object of an answer; nullopt when the body has none.
std::optional<GraphError> ReadError(const HttpResponse& response);
// "9/2207042", or "190" without a subcode: DeliveryResult::far_code.
std::string FarCode(const GraphError& e);
// The error's words for a person: message, the user message when it adds something, and the
// fbtrace_id Meta's support asks for.
std::string Words(const GraphError& e);

// Application, user, Page and Business Use Case rate limits: 4, 17, 32, 613, 80001 (Pages).
bool IsRateLimit(long long code);

// How long Meta says to wait before calls work again: the largest
// estimated_time_to_regain_access (minutes) in X-Business-Use-Case-Usage; nullopt when the header
// is absent or names no wait.
std::optional<std::chrono::milliseconds> UsageWait(const HttpResponse& response);

// Graph requests with `token` as a Bearer credential.
HttpRequest Get(std::string url, const std::string& token, std::chrono::milliseconds timeout);
HttpRequest Post(std::string url, const nlohmann::json& body, const std::string& token,
                 std::chrono::milliseconds timeout);

// The classification of a Graph error every publishing call shares (after the adapter's own
// codes): rate limits retry (rate_limited, waiting as the usage header says), 1 and 2 (and any
// error Meta marks is_transient, and 5xx) retry, 190/102 (token), 10 and 200-299 (permissions),
// 100 (invalid parameter), 368 (blocked), 506 (duplicate) and the rest fail. `who` names the
// platform in the reasons ("Facebook", "Instagram").
adapter::Reading ReadFailure(const HttpResponse& response, std::string_view who);

// A lookup's answer when it is not the object: 404 and error 100/33 ("does not exist") are
// kMissing; no answer, 5xx, rate limits and refused tokens kUnknown. `what` names the object
// ("post", "media").
LookupResult LookupFailure(const HttpResponse& response, std::string_view what);

}  // namespace lifeline::channels::graph
