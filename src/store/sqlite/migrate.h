// Brings an SQLite database to this binary's schema by applying the embedded migrations in order,
// recording each in schema_version.
#pragma once

#include <span>

#include "core/result.h"
#include "store/migrations/migrations.h"
#include "store/sqlite/db.h"

namespace lifeline::store::sqlite {

// Applies every migration newer than the database's version, all in one IMMEDIATE transaction
// (so two processes opening a new file at once apply them once). Refuses a database whose
// version is newer than `list` knows, one migrated by a different list (names differ), and an
// SQLite file with tables but no schema_version (another program's database): kFailedPrecondition.
// Reads only: kFailedPrecondition for an SQLite file that has tables but no schema_version
// (another program's database), checked before anything (even the journal mode) is changed.
[[nodiscard]] core::Status CheckIsOurs(Db& db);

[[nodiscard]] core::Status Migrate(Db& db, std::span<const migrations::Migration> list,
                                   std::int64_t now_ms);

}  // namespace lifeline::store::sqlite
