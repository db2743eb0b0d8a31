#include "api/store_json.h"

#include <chrono>
#include <utility>

#include "core/types.h"

namespace lifeline::api {

nlohmann::json EventJson(const store::IncidentEvent& e) {
  nlohmann::json data = nlohmann::json::parse(e.data_json, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) data = nlohmann::json::object();
  return {{"seq", e.seq},
          {"at", core::FormatTime(
                     std::chrono::time_point_cast<std::chrono::system_clock::duration>(e.at))},
          {"type", e.type},
          {"message", e.message},
          {"data", std::move(data)}};
}

nlohmann::json OptTimeJson(const std::optional<store::Time>& t) {
  return t ? nlohmann::json(core::FormatTime(*t)) : nlohmann::json(nullptr);
}

}  // namespace lifeline::api
