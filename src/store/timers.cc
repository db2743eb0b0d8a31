// Timer states by name, and the checks every dialect's timer store applies before writing
// (timers.h, timers_common.h).
#include "store/timers.h"

#include "store/common.h"
#include "store/outbox_common.h"
#include "store/timers_common.h"

namespace lifeline::store {

using core::ErrorCode;
using core::MakeError;

std::string_view TimerStateName(TimerState s) {
  switch (s) {
    case TimerState::kPending:
      return "pending";
    case TimerState::kClaimed:
      return "claimed";
    case TimerState::kDone:
      return "done";
    case TimerState::kCancelled:
      return "cancelled";
    case TimerState::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<TimerState> ParseTimerState(std::string_view name) {
  for (TimerState s : kAllTimerStates) {
    if (TimerStateName(s) == name) return s;
  }
  return std::nullopt;
}

bool IsFinal(TimerState s) {
  return s == TimerState::kDone || s == TimerState::kCancelled || s == TimerState::kFailed;
}

namespace internal {

core::Status ValidateTimerName(std::string_view field, std::string_view value) {
  if (value.empty()) return MakeError(ErrorCode::kInvalidArgument, "{} is empty", field);
  if (value.size() > kMaxKeyBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "{} is longer than {} bytes", field,
                     kMaxKeyBytes);
  }
  return core::Ok();
}

core::Status ValidateTimerQuery(const TimerQuery& q) {
  if (q.limit < 1 || q.limit > kMaxClaimLimit) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..{} (got {})", kMaxClaimLimit,
                     q.limit);
  }
  return core::Ok();
}

core::Status ValidateClaim(std::string_view worker, std::chrono::milliseconds lease,
                           std::size_t limit) {
  LL_TRY(ValidateTimerName("worker", worker));
  if (lease <= std::chrono::milliseconds::zero()) {
    return MakeError(ErrorCode::kInvalidArgument, "lease must be positive (got {} ms)",
                     lease.count());
  }
  if (limit < 1 || limit > kMaxClaimLimit) {
    return MakeError(ErrorCode::kInvalidArgument, "limit must be 1..{} (got {})", kMaxClaimLimit,
                     limit);
  }
  return core::Ok();
}

std::string CutTimerError(std::string_view error) {
  if (error.size() <= kMaxTimerErrorBytes) return std::string(error);
  std::size_t n = kMaxTimerErrorBytes;
  // Back off continuation bytes (10xxxxxx) so the cut does not split a character.
  while (n > 0 && (static_cast<unsigned char>(error[n]) & 0xC0) == 0x80) --n;
  return std::string(error.substr(0, n));
}

}  // namespace internal

core::Status ValidateNewTimer(const NewTimer& t) {
  LL_TRY(internal::ValidateTimerName("key", t.key));
  LL_TRY(internal::ValidateTimerName("kind", t.kind));
  if (t.owner.size() > internal::kMaxNameBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "owner is longer than {} bytes",
                     internal::kMaxNameBytes);
  }
  if (t.payload_json.size() > internal::kMaxTextBytes) {
    return MakeError(ErrorCode::kInvalidArgument, "payload_json is longer than {} bytes",
                     internal::kMaxTextBytes);
  }
  return internal::ValidateJson("payload_json", t.payload_json);
}

}  // namespace lifeline::store
