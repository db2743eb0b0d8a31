// What every dialect's timer store shares (store/timers.h): input validation and the cut of an
// error text, so SQLite and a later PostgreSQL timer store differ only in SQL.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/timers.h"

namespace lifeline::store::internal {

inline constexpr std::size_t kMaxTimerErrorBytes = 4096;
inline constexpr std::size_t kMaxClaimLimit = 1000;

core::Status ValidateTimerQuery(const TimerQuery& q);
// ClaimDue's arguments: a worker name, a positive lease, a limit of 1..1000.
core::Status ValidateClaim(std::string_view worker, std::chrono::milliseconds lease,
                           std::size_t limit);
// A required key, id or owner argument (kInvalidArgument naming `field` when empty or too long).
core::Status ValidateTimerName(std::string_view field, std::string_view value);
// `error` cut to kMaxTimerErrorBytes on a UTF-8 character boundary.
std::string CutTimerError(std::string_view error);

}  // namespace lifeline::store::internal
