// Graph API errors, usage headers and requests for the publishing adapters (meta_graph.h).
#include "channels/meta_graph.h"

#include <algorithm>

#include <fmt/core.h>

namespace lifeline::channels::graph {

std::optional<GraphError> ReadError(const HttpResponse& response) {
  auto j = adapter::ParseJson(response.body);
  if (!j || !j->is_object() || !j->contains("error") || !(*j)["error"].is_object()) {
    return std::nullopt;
  }
  const nlohmann::json& e = (*j)["error"];
  GraphError out;
  out.code = adapter::MemberInt(e, "code").value_or(0);
  out.subcode = adapter::MemberInt(e, "error_subcode").value_or(0);
  out.message = adapter::OneLine(adapter::MemberText(e, "message"));
  out.type = adapter::MemberText(e, "type");
  out.fbtrace_id = adapter::MemberText(e, "fbtrace_id");
  out.user_message = adapter::OneLine(adapter::MemberText(e, "error_user_msg"));
  auto t = e.find("is_transient");
  out.transient = t != e.end() && t->is_boolean() && t->get<bool>();
  return out;
}

std::string FarCode(const GraphError& e) {
  return e.subcode != 0 ? fmt::format("{}/{}", e.code, e.subcode) : std::to_string(e.code);
}

std::string Words(const GraphError& e) {
  std::string out = e.message.empty() ? std::string("no message") : e.message;
  if (!e.user_message.empty() && out.find(e.user_message) == std::string::npos) {
    out += " (" + e.user_message + ")";
  }
  if (!e.fbtrace_id.empty()) out += "; fbtrace_id " + e.fbtrace_id;
  return out;
}

bool IsRateLimit(long long code) {
  return code == 4 || code == 17 || code == 32 || code == 613 || code == 80001;
}

std::optional<std::chrono::milliseconds> UsageWait(const HttpResponse& response) {
  // {"<business id>": [{"type": "pages", "call_count": 100, ..., "estimated_time_to_regain_access":
  // 17}]} (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
  std::string_view header = response.Header("x-business-use-case-usage");
  if (header.empty()) return std::nullopt;
  auto j = adapter::ParseJson(header);
  if (!j || !j->is_object()) return std::nullopt;
  long long minutes = 0;
  for (const auto& [business, entries] : j->items()) {
    if (!entries.is_array()) continue;
    for (const auto& entry : entries) {
      minutes = std::max(minutes,
                         adapter::MemberInt(entry, "estimated_time_to_regain_access").value_or(0));
    }
  }
  if (minutes <= 0) return std::nullopt;
  return std::chrono::minutes(minutes);
}

HttpRequest Get(std::string url, const std::string& token, std::chrono::milliseconds timeout) {
  HttpRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.headers.emplace_back("Accept", "application/json");
  req.headers.emplace_back("Authorization", "Bearer " + token);
  req.timeout = timeout;
  req.connect_timeout = std::min(timeout, std::chrono::milliseconds(5000));
  return req;
}

HttpRequest Post(std::string url, const nlohmann::json& body, const std::string& token,
                 std::chrono::milliseconds timeout) {
  HttpRequest req = adapter::JsonPost(std::move(url), adapter::Dump(body), timeout);
  req.headers.emplace_back("Authorization", "Bearer " + token);
  return req;
}

adapter::Reading ReadFailure(const HttpResponse& response, std::string_view who) {
  adapter::Reading reading;
  auto e = ReadError(response);
  if (!e) {
    // Not Graph's error object (a proxy's page): the status decides.
    reading.detail = adapter::OneLine(response.body, 120);
    return reading;
  }
  reading.far_code = FarCode(*e);
  reading.wait.stated = UsageWait(response);
  reading.wait.retry_after_header = false;  // Graph names no Retry-After
  std::string words = Words(*e);
  if (IsRateLimit(e->code)) {
    reading.verdict = adapter::Verdict::kRateLimited;
    reading.reason = fmt::format("{} rate limit ({}): {}", who, reading.far_code, words);
  } else if (e->code == 1 || e->code == 2 || e->transient || response.status >= 500) {
    reading.verdict = adapter::Verdict::kRetry;
    reading.reason =
        fmt::format("{} failed for now ({}), try later: {}", who, reading.far_code, words);
  } else if (e->code == 190 || e->code == 102) {
    reading.verdict = adapter::Verdict::kFailed;
    reading.reason = fmt::format("{} refused the access token ({}; expired or revoked): {}", who,
                                 reading.far_code, words);
  } else if (e->code == 10 || (e->code >= 200 && e->code <= 299)) {
    reading.verdict = adapter::Verdict::kFailed;
    reading.reason = fmt::format("{} denies the permission ({}): {}", who, reading.far_code, words);
  } else if (e->code == 368) {
    reading.verdict = adapter::Verdict::kFailed;
    reading.reason =
        fmt::format("{} blocked it as against its policies ({}): {}", who, reading.far_code, words);
  } else if (e->code == 506) {
    reading.verdict = adapter::Verdict::kFailed;
    reading.reason =
        fmt::format("{} refuses a duplicate post ({}): {}", who, reading.far_code, words);
  } else {
    // 100 (invalid parameter) and everything else Meta documents as a refusal.
    reading.verdict = adapter::Verdict::kFailed;
    reading.reason = fmt::format("{} refused it ({}): {}", who, reading.far_code, words);
  }
  return reading;
}

LookupResult LookupFailure(const HttpResponse& response, std::string_view what) {
  using Presence = LookupResult::Presence;
  if (response.transport != HttpResponse::Transport::kAnswered) {
    return {Presence::kUnknown, fmt::format("no answer: {}", response.error), ""};
  }
  auto e = ReadError(response);
  if (e && e->code == 100 && e->subcode == 33) {
    return {Presence::kMissing,
            fmt::format("the {} does not exist (Graph {}): {}", what, FarCode(*e), e->message), ""};
  }
  if (response.status == 404) {
    return {Presence::kMissing, fmt::format("the {} does not exist (HTTP 404)", what), ""};
  }
  if (e) {
    return {Presence::kUnknown,
            fmt::format("the lookup failed (HTTP {}, Graph {}): {}", response.status, FarCode(*e),
                        Words(*e)),
            ""};
  }
  return {Presence::kUnknown,
          fmt::format("the lookup failed (HTTP {}): {}", response.status,
                      adapter::OneLine(response.body, 120)),
          ""};
}

}  // namespace lifeline::channels::graph
