#include "api/part_body.h"

#include <algorithm>

namespace lifeline::api {

using core::ErrorCode;
using core::MakeError;
using json = nlohmann::json;

core::Result<json> ParseObjectBody(const std::string& body,
                                   std::initializer_list<std::string_view> allowed) {
  if (body.empty()) return json::object();
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    return MakeError(ErrorCode::kInvalidArgument, "the body is not valid JSON");
  }
  if (!j.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, "the body must be a JSON object");
  }
  for (const auto& [key, value] : j.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string valid;
      for (std::string_view a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
      return MakeError(ErrorCode::kInvalidArgument, "unknown field {} (fields: {})",
                       json(key.substr(0, 64)).dump(-1, ' ', false, json::error_handler_t::replace),
                       valid.empty() ? "none" : valid);
    }
  }
  return j;
}

core::Result<std::string> StringField(const json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return MakeError(ErrorCode::kInvalidArgument, "{} must be a string", name);
  return it->get<std::string>();
}

core::Result<bool> BoolField(const json& body, const char* name, bool fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    return MakeError(ErrorCode::kInvalidArgument, "{} must be true or false", name);
  }
  return it->get<bool>();
}

}  // namespace lifeline::api
