// Playbook state names, the assignment moves allowed, and the checks every dialect's playbook
// store applies before writing (playbook.h, playbook_common.h).
#include "store/playbook.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/types.h"
#include "store/common.h"
#include "store/outbox_common.h"
#include "store/playbook_common.h"

namespace lifeline::store {

using core::ErrorCode;
using core::MakeError;

namespace {

template <typename E, std::size_t N>
std::optional<E> ParseBy(std::string_view name, const E (&all)[N], std::string_view (*name_of)(E)) {
  for (E e : all) {
    if (name_of(e) == name) return e;
  }
  return std::nullopt;
}

constexpr RunState kAllRunStates[] = {RunState::kRunning, RunState::kStopped, RunState::kFinished};
constexpr StepState kAllStepStates[] = {StepState::kPending, StepState::kRunning,
                                        StepState::kDone,    StepState::kFailed,
                                        StepState::kSkipped, StepState::kWaiting};
constexpr AssignmentKind kAllKinds[] = {AssignmentKind::kTask, AssignmentKind::kApproval,
                                        AssignmentKind::kNotification};
constexpr AssignmentState kAllAssignmentStates[] = {
    AssignmentState::kOpen,     AssignmentState::kAcknowledged, AssignmentState::kDone,
    AssignmentState::kApproved, AssignmentState::kRefused,      AssignmentState::kExpired};

}  // namespace

std::string_view LifecycleName(Lifecycle l) {
  switch (l) {
    case Lifecycle::kDetected:
      return "detected";
    case Lifecycle::kAcknowledged:
      return "acknowledged";
    case Lifecycle::kMitigating:
      return "mitigating";
    case Lifecycle::kMonitoring:
      return "monitoring";
    case Lifecycle::kResolved:
      return "resolved";
    case Lifecycle::kReviewed:
      return "reviewed";
  }
  return "detected";
}

std::optional<Lifecycle> ParseLifecycle(std::string_view name) {
  return ParseBy(name, kAllLifecycles, &LifecycleName);
}

std::string_view RunStateName(RunState s) {
  switch (s) {
    case RunState::kRunning:
      return "running";
    case RunState::kStopped:
      return "stopped";
    case RunState::kFinished:
      return "finished";
  }
  return "running";
}

std::optional<RunState> ParseRunState(std::string_view name) {
  return ParseBy(name, kAllRunStates, &RunStateName);
}

std::string_view StepStateName(StepState s) {
  switch (s) {
    case StepState::kPending:
      return "pending";
    case StepState::kRunning:
      return "running";
    case StepState::kDone:
      return "done";
    case StepState::kFailed:
      return "failed";
    case StepState::kSkipped:
      return "skipped";
    case StepState::kWaiting:
      return "waiting";
  }
  return "pending";
}

std::optional<StepState> ParseStepState(std::string_view name) {
  return ParseBy(name, kAllStepStates, &StepStateName);
}

bool IsFinal(StepState s) {
  return s == StepState::kDone || s == StepState::kFailed || s == StepState::kSkipped;
}

std::string_view AssignmentKindName(AssignmentKind k) {
  switch (k) {
    case AssignmentKind::kTask:
      return "task";
    case AssignmentKind::kApproval:
      return "approval";
    case AssignmentKind::kNotification:
      return "notification";
  }
  return "task";
}

std::optional<AssignmentKind> ParseAssignmentKind(std::string_view name) {
  return ParseBy(name, kAllKinds, &AssignmentKindName);
}

std::string_view AssignmentStateName(AssignmentState s) {
  switch (s) {
    case AssignmentState::kOpen:
      return "open";
    case AssignmentState::kAcknowledged:
      return "acknowledged";
    case AssignmentState::kDone:
      return "done";
    case AssignmentState::kApproved:
      return "approved";
    case AssignmentState::kRefused:
      return "refused";
    case AssignmentState::kExpired:
      return "expired";
  }
  return "open";
}

std::optional<AssignmentState> ParseAssignmentState(std::string_view name) {
  return ParseBy(name, kAllAssignmentStates, &AssignmentStateName);
}

bool AssignmentMoveAllowed(AssignmentKind kind, AssignmentState from, AssignmentState to) {
  using S = AssignmentState;
  switch (kind) {
    case AssignmentKind::kTask:
      return (from == S::kOpen &&
              (to == S::kAcknowledged || to == S::kDone || to == S::kExpired)) ||
             (from == S::kAcknowledged && (to == S::kDone || to == S::kExpired));
    case AssignmentKind::kApproval:
      return from == S::kOpen && (to == S::kApproved || to == S::kRefused || to == S::kExpired);
    case AssignmentKind::kNotification:
      return from == S::kOpen && (to == S::kAcknowledged || to == S::kExpired);
  }
  return false;
}

bool IsFinal(AssignmentKind kind, AssignmentState s) {
  if (s == AssignmentState::kOpen) return false;
  if (s == AssignmentState::kAcknowledged) return kind == AssignmentKind::kNotification;
  return true;
}

namespace internal {

core::Status ValidatePlaybookName(std::string_view field, std::string_view value) {
  if (value.empty()) return MakeError(ErrorCode::kInvalidArgument, "{} is empty", field);
  if (value.size() > kMaxKeyBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is longer than {} bytes", field,
                     kMaxKeyBytes);
  }
  return core::Ok();
}

namespace {

core::Status ValidateText(std::string_view field, std::string_view value) {
  if (value.size() > kMaxTextBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is longer than {} bytes", field,
                     kMaxTextBytes);
  }
  return core::Ok();
}

core::Status ValidateLimit(std::size_t limit) {
  if (limit < 1 || limit > 1000) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..1000 (got {})", limit);
  }
  return core::Ok();
}

}  // namespace

core::Status ValidateNewLifecycle(const NewLifecycle& l) {
  LL_TRY(ValidatePlaybookName("incident_id", l.incident_id));
  LL_TRY(ValidatePlaybookName("by", l.by));
  return ValidateText("note", l.note);
}

core::Status ValidateLifecycleMove(const LifecycleMove& m) {
  LL_TRY(ValidatePlaybookName("incident_id", m.incident_id));
  LL_TRY(ValidatePlaybookName("by", m.by));
  return ValidateText("note", m.note);
}

core::Status ValidateStep(const StepRecord& s) {
  LL_TRY(ValidatePlaybookName("incident_id", s.incident_id));
  LL_TRY(ValidatePlaybookName("response", s.response));
  LL_TRY(ValidatePlaybookName("step_id", s.step_id));
  if (s.attempts < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "attempts is negative ({})", s.attempts);
  }
  LL_TRY(ValidateText("last_error", s.last_error));
  return ValidateText("note", s.note);
}

core::Status ValidateNewAssignment(const NewAssignment& a) {
  LL_TRY(ValidatePlaybookName("key", a.key));
  LL_TRY(ValidatePlaybookName("incident_id", a.incident_id));
  LL_TRY(ValidatePlaybookName("step_id", a.step_id));
  if (a.title.empty()) return MakeError(ErrorCode::kInvalidArgument, "title is empty");
  return ValidateText("title", a.title);
}

core::Status ValidateAssignmentMove(const AssignmentMove& m) {
  LL_TRY(ValidatePlaybookName("id", m.id));
  LL_TRY(ValidatePlaybookName("by", m.by));
  if (m.to == AssignmentState::kOpen) {
    return MakeError(ErrorCode::kInvalidArgument, "an assignment cannot move back to open");
  }
  return ValidateText("note", m.note);
}

core::Status ValidateAssignmentQuery(const AssignmentQuery& q) { return ValidateLimit(q.limit); }
core::Status ValidateRunQuery(const RunQuery& q) { return ValidateLimit(q.limit); }

core::Status ValidateLinkToken(const LinkToken& t) {
  if (!IsHex64(t.hash)) {
    return MakeError(ErrorCode::kInvalidArgument, "hash is not 64 hex characters");
  }
  LL_TRY(ValidatePlaybookName("purpose", t.purpose));
  LL_TRY(ValidatePlaybookName("assignment_id", t.assignment_id));
  LL_TRY(ValidatePlaybookName("signature", t.signature));
  if (t.expires_at <= t.created_at) {
    return MakeError(ErrorCode::kInvalidArgument, "expires_at is not after created_at");
  }
  return core::Ok();
}

std::string NamesToJson(const std::vector<std::string>& names) {
  return nlohmann::json(names).dump();
}

std::vector<std::string> NamesFromJson(std::string_view json) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

core::Error AssignmentMoveRefused(const Assignment& a, AssignmentState to) {
  std::string who;
  if (a.state == AssignmentState::kAcknowledged && a.acknowledged_at) {
    who = fmt::format(" (by {} at {})", a.acknowledged_by, core::FormatTime(*a.acknowledged_at));
  } else if (a.ended_at) {
    who = fmt::format(" (by {} at {})", a.ended_by, core::FormatTime(*a.ended_at));
  }
  return MakeError(ErrorCode::kFailedPrecondition, "{} {} is already {}{}: it cannot become {}",
                   AssignmentKindName(a.kind), a.id, AssignmentStateName(a.state), who,
                   AssignmentStateName(to));
}

}  // namespace internal
}  // namespace lifeline::store
