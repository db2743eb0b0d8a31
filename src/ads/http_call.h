// What the three ad clients share: one HTTP exchange recorded as an ads::Call (credentials kept
// out of the record), JSON answers read safely, text cut for the timeline.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ads/ad_platform.h"
#include "channels/http.h"

namespace lifeline::ads::internal {

struct Request {
  std::string method = "GET";
  std::string base;                                        // "https://graph.facebook.com"
  std::string path;                                        // "/v21.0/act_1/campaigns"
  std::vector<std::pair<std::string, std::string>> query;  // encoded here
  // Query parameters that hold credentials: sent, never recorded.
  std::vector<std::pair<std::string, std::string>> secret_query;
  std::vector<std::pair<std::string, std::string>> headers;  // may hold credentials: not recorded
  std::string content_type;                                  // "" = none
  std::string body;
  std::chrono::milliseconds timeout{15000};
};

struct Exchange {
  channels::HttpResponse response;
  Call call;
  // The answer's JSON; null when the body is not JSON.
  nlohmann::json json;
};

std::string UrlEncode(std::string_view s);
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);
std::string Cut(std::string_view s, std::size_t max = 400);

Exchange Send(channels::HttpClient& http, const Request& request);

// A failure for an exchange that brought no usable answer: transport error or 5xx (kUnavailable,
// may_have_acted for a lost write), or a body that is not JSON.
Failure TransportFailure(const Exchange& ex);

// Reads a JSON value that platforms send as a string or a number ("5000" or 5000).
std::string AsText(const nlohmann::json& v);

}  // namespace lifeline::ads::internal
