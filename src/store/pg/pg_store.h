// The PostgreSQL Store (store.h's OpenPostgres) beyond its public factory: the URL check the
// config uses.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::store::pg {

// kInvalidArgument unless `url` is a postgresql:// (or postgres://) URI libpq can parse, without a
// password in it (the password comes from PostgresOptions::password, so it is never logged).
// Messages never quote the URL.
[[nodiscard]] core::Status CheckPostgresUrl(const std::string& url);

// The pg_advisory_xact_lock key the probe rollup holds while it writes a minute: instances on one
// database roll up one at a time ("Lifeline rollup").
inline constexpr std::int64_t kRollupLockKey = 7406358;

}  // namespace lifeline::store::pg
