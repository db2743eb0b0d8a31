// The recovery checklist's HTTP API (routes.h).
#include "recovery/routes.h"

namespace lifeline::recovery {

std::vector<api::PartRoute> RecoveryRoutes::Routes() {
  return {{"GET",
           "/v1/recovery/{incident}",
           api::Role::kViewer,
           {"fresh"},
           api::PartBody::kNone,
           [this](const api::PartRequest& r) { return Get(r); }}};
}

core::Result<api::PartResponse> RecoveryRoutes::Get(const api::PartRequest& r) {
  const std::string incident(r.Param("incident"));
  bool fresh = false;  // ?fresh=true: read the platforms again now
  if (const std::string* f = r.Query("fresh")) {
    if (*f != "true" && *f != "false") {
      return core::MakeError(core::ErrorCode::kInvalidArgument, "fresh: expected true or false");
    }
    fresh = *f == "true";
  }
  const auto now = std::chrono::steady_clock::now();
  if (!fresh && fresh_.count() > 0) {
    std::lock_guard lock(mu_);
    auto it = cache_.find(incident);
    if (it != cache_.end() && now - it->second.at < fresh_)
      return api::PartResponse{200, it->second.body};
  }
  LL_ASSIGN(Checklist list, service_.Run(incident));
  nlohmann::json body = ChecklistJson(list);
  if (fresh_.count() > 0) {
    std::lock_guard lock(mu_);
    std::erase_if(cache_, [&](const auto& e) { return now - e.second.at >= fresh_; });
    cache_[incident] = {now, body};
  }
  return api::PartResponse{200, std::move(body)};
}

}  // namespace lifeline::recovery
