// The step handler registry (step_handler.h).
#include "playbook/step_handler.h"

namespace lifeline::playbook {

core::Status StepHandlers::Register(StepKind kind, std::shared_ptr<StepHandler> handler) {
  if (kind != StepKind::kMoveConversations && kind != StepKind::kPause) {
    return core::MakeError(core::ErrorCode::kInvalidArgument,
                           "the engine runs {} steps itself: only move_conversations and pause "
                           "take a handler",
                           StepKindName(kind));
  }
  if (!handler) return core::MakeError(core::ErrorCode::kInvalidArgument, "no handler");
  std::lock_guard lock(mu_);
  if (!handlers_.emplace(kind, std::move(handler)).second) {
    return core::MakeError(core::ErrorCode::kAlreadyExists, "{} steps have a handler already",
                           StepKindName(kind));
  }
  return core::Ok();
}

std::shared_ptr<StepHandler> StepHandlers::Find(StepKind kind) const {
  std::lock_guard lock(mu_);
  auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : it->second;
}

std::string PartFor(StepKind kind) {
  switch (kind) {
    case StepKind::kMoveConversations:
      return "the inbox";
    case StepKind::kPause:
      return "the ads guard and the content calendar";
    default:
      return "the engine";
  }
}

}  // namespace lifeline::playbook
