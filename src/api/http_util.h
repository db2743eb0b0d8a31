// Small pieces of HTTP request handling the API server needs and tests check on their own: URL
// decoding, query strings, RFC 3339 times, JSON bodies, error bodies and status codes.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/status.hpp>
#include <nlohmann/json.hpp>

#include "core/result.h"

namespace lifeline::api::internal {

// %XX-decodes `s` ('+' as a space when `plus_as_space`, as in query strings). nullopt for a
// malformed escape or a decoded NUL.
std::optional<std::string> PercentDecode(std::string_view s, bool plus_as_space);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}, in order. kInvalidArgument for a malformed escape.
core::Result<QueryParams> ParseQuery(std::string_view query);

// "2026-11-27T10:00:00Z", "2026-11-27T10:00:00.250+02:00" (RFC 3339, any offset) -> UTC time.
core::Result<std::chrono::system_clock::time_point> ParseRfc3339(std::string_view text);

// The HTTP status for an error code: 400 invalid_argument, 401, 403, 404, 409 (already_exists,
// failed_precondition), 429 resource_exhausted (rates; the body cap answers 413 itself), 503
// unavailable, 504 deadline_exceeded, 500 otherwise.
boost::beast::http::status StatusFor(core::ErrorCode code);

// {"error":{"code":"...","message":"..."}} plus a newline.
std::string ErrorBody(std::string_view code, std::string_view message);

// The body parsed as a JSON object; kInvalidArgument saying where the syntax breaks, or that it is
// not an object.
core::Result<nlohmann::json> ParseJsonObject(std::string_view body);

// kInvalidArgument naming the first field of `object` that is not in `allowed` ("unknown field
// 'colour'; allowed: platform, kind").
core::Status RejectUnknownFields(const nlohmann::json& object,
                                 std::initializer_list<std::string_view> allowed);

// True for "application/json", with parameters ("; charset=utf-8") and any case.
bool IsJsonMediaType(std::string_view content_type);

// SHA-256 of `data`, lowercase hex.
std::string Sha256Hex(std::string_view data);

bool IEquals(std::string_view a, std::string_view b);

}  // namespace lifeline::api::internal
