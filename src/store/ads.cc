// The ads guard's store slice shared by every dialect (ads.h): state names.
#include "store/ads.h"

#include <array>

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
