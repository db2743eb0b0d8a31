// Checks a database path before SQLite touches it, so a missing directory is created and an
// unwritable or foreign file gets a clear error instead of being opened (or overwritten).
#pragma once

#include <string>

#include "core/result.h"

namespace lifeline::store::sqlite {

// Creates the parent directory if missing; refuses a path whose directory or file is not
// writable (kPermissionDenied) and an existing non-empty file that is not SQLite (kDataLoss).
[[nodiscard]] core::Status Preflight(const std::string& path);

}  // namespace lifeline::store::sqlite
