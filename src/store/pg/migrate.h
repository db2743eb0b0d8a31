// Brings a PostgreSQL database to this binary's schema by applying the embedded migrations
// (src/store/migrations/postgresql/) in order, recording each in schema_version.
#pragma once

#include <cstdint>
#include <span>

#include "core/result.h"
#include "store/migrations/migrations.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// Applies every migration newer than the database's version in one transaction, under a
// transaction-scoped advisory lock, so several instances starting at once on a new database apply
// each migration once (the others wait, then find nothing to do). Refuses, with
// kFailedPrecondition and nothing changed: a database whose version is newer than `list` knows,
// one migrated by a different list (names differ), and a schema with tables but no
// schema_version (another program's database).
[[nodiscard]] core::Status Migrate(Conn& conn, std::span<const migrations::Migration> list,
                                   std::int64_t now_ms);

}  // namespace lifeline::store::pg
