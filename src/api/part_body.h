// Reading a part's JSON request body (api/route_group.h): one object, known fields only, each
// error naming the field — the same rules and messages for every part's routes.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace lifeline::api {

// The body as a JSON object ({} when empty). kInvalidArgument when it is not JSON, not an object,
// or has a field outside `allowed` (named, quoted as JSON and cut: it is the caller's text).
core::Result<nlohmann::json> ParseObjectBody(const std::string& body,
                                             std::initializer_list<std::string_view> allowed);
// A string field: "" when absent or null; kInvalidArgument naming it when not a string.
core::Result<std::string> StringField(const nlohmann::json& body, const char* name);
// A boolean field: `fallback` when absent or null; kInvalidArgument naming it otherwise.
core::Result<bool> BoolField(const nlohmann::json& body, const char* name, bool fallback);

}  // namespace lifeline::api
