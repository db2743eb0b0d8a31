// The ads guard's store slice shared by every dialect (ads.h, ads_common.h): state names and
// input checks.
#include "store/ads.h"

#include <array>

#include "store/ads_common.h"

namespace lifeline::store {
namespace {

constexpr std::array<std::pair<AdChangeState, std::string_view>, 7> kStates = {{
    {AdChangeState::kPausing, "pausing"},
    {AdChangeState::kPaused, "paused"},
    {AdChangeState::kResuming, "resuming"},
    {AdChangeState::kResumed, "resumed"},
    {AdChangeState::kKept, "kept"},
    {AdChangeState::kFailed, "failed"},
    {AdChangeState::kDryRun, "dry_run"},
}};

constexpr std::array<std::pair<AdTransferState, std::string_view>, 9> kTransferStates = {{
    {AdTransferState::kProposed, "proposed"},
    {AdTransferState::kApproved, "approved"},
    {AdTransferState::kMoved, "moved"},
    {AdTransferState::kReturned, "returned"},
    {AdTransferState::kRefused, "refused"},
    {AdTransferState::kExpired, "expired"},
    {AdTransferState::kSkipped, "skipped"},
    {AdTransferState::kFailed, "failed"},
    {AdTransferState::kDryRun, "dry_run"},
}};

}  // namespace

std::string_view AdTransferStateName(AdTransferState s) {
  for (const auto& [state, name] : kTransferStates) {
    if (state == s) return name;
  }
  return "failed";
}

std::optional<AdTransferState> ParseAdTransferState(std::string_view s) {
  for (const auto& [state, name] : kTransferStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

bool IsFinal(AdTransferState s) {
  return s != AdTransferState::kProposed && s != AdTransferState::kApproved &&
         s != AdTransferState::kMoved;
}

std::string_view AdChangeStateName(AdChangeState s) {
  for (const auto& [state, name] : kStates) {
    if (state == s) return name;
  }
  return "failed";
}

std::optional<AdChangeState> ParseAdChangeState(std::string_view s) {
  for (const auto& [state, name] : kStates) {
    if (name == s) return state;
  }
  return std::nullopt;
}

bool IsFinal(AdChangeState s) {
  return s != AdChangeState::kPausing && s != AdChangeState::kPaused &&
         s != AdChangeState::kResuming;
}

}  // namespace lifeline::store

namespace lifeline::store::internal {

core::Status ValidateAdChange(const AdChange& c) {
  if (c.account.empty() || c.campaign_id.empty() || c.platform.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "an ads change needs its account, platform and campaign id");
  }
  if (c.campaign_id.size() > 256 || c.incident_id.size() > 256) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "ads change ids must be at most 256 bytes");
  }
  return core::Ok();
}

core::Status ValidateAdTransfer(const AdTransfer& t) {
  if (t.incident_id.empty() || t.name.empty() || t.from_account.empty() || t.to_account.empty() ||
      t.to_campaign.empty()) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "a budget transfer needs its incident, name, accounts and receiving "
                           "campaign");
  }
  return core::Ok();
}

}  // namespace lifeline::store::internal
