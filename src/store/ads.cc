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

}  // namespace

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
