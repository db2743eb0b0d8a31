// Where the parts that carry out move_conversations (the inbox) and pause (the ads guard, the
// content calendar) plug into the playbook engine: a handler per step kind, registered at wiring.
// A step whose kind has no handler is recorded as waiting for that part (skipped, "not available
// yet") and the response goes on.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "playbook/plan.h"

namespace lifeline::playbook {

// What a handler is asked to do.
struct StepRequest {
  std::string incident_id;
  std::string response;
  const Step* step = nullptr;  // its body says what (MoveConversationsStep, PauseStep)
  Failure failure;             // what failed: the platforms whose conversations, ads, posts
  const Plan* plan = nullptr;  // the inventory (backups and links)
  // Unique to this step of this incident: key everything durable the handler does by it (a
  // restart runs the step again).
  std::string key;
  TimePoint now;
};

class StepHandler {
 public:
  virtual ~StepHandler() = default;
  // Carries the step out, or starts it (queue long work of its own: this runs under the engine's
  // lock and should return within milliseconds). Idempotent by request.key. OK: one line for the
  // timeline ("12 conversations moved to Telegram"). An error: the step failed; its on_error
  // applies (a retry calls Run again).
  [[nodiscard]] virtual core::Result<std::string> Run(const StepRequest& request) = 0;
};

// The handlers by kind. Thread-safe.
class StepHandlers {
 public:
  // Only move_conversations and pause take a handler (kInvalidArgument for the engine's own
  // kinds); kAlreadyExists when the kind has one.
  [[nodiscard]] core::Status Register(StepKind kind, std::shared_ptr<StepHandler> handler);
  // Null when no part handles the kind.
  std::shared_ptr<StepHandler> Find(StepKind kind) const;

 private:
  mutable std::mutex mu_;  // guards handlers_
  std::map<StepKind, std::shared_ptr<StepHandler>> handlers_;
};

// The part a kind waits for, for the timeline: "the inbox", "the ads guard and the content
// calendar".
std::string PartFor(StepKind kind);

}  // namespace lifeline::playbook
