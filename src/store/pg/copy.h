// `lifeline migrate`: copies an SQLite installation's whole store into a new, empty PostgreSQL
// database — history (samples, minutes), incidents and their events, the outbox with every
// message's timeline, timers, tokens, and every response part's tables — in one PostgreSQL
// transaction: all of it or nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace lifeline::store::pg {

struct CopiedTable {
  std::string name;
  std::int64_t rows = 0;
};

struct CopyReport {
  int schema_version = 0;           // both databases' schema (the binary's last migration)
  std::vector<CopiedTable> tables;  // in the order copied (parents before children)
  // Kept by the database itself from what was copied (outbox counters), so not copied.
  std::vector<std::string> derived;
  std::int64_t rows = 0;  // all tables together
};

// Copies the SQLite store at `sqlite_path` into the PostgreSQL database `pg` names. Both are
// first opened as the store opens them (so an older SQLite file is migrated to this binary's
// schema, and the PostgreSQL schema is created); the SQLite file is then read in one read
// transaction (a consistent snapshot even while `lifeline serve` writes to it), and every row
// is written to PostgreSQL in one transaction, keeping ids, times and order; the row counts are
// checked before it commits.
//
// Errors (nothing is written to PostgreSQL unless everything was):
//   kNotFound           no file at sqlite_path
//   kFailedPrecondition the PostgreSQL database already holds data (names the table): copy only
//                       into a new, empty database; or the two schemas differ (names the column)
//   anything OpenSqlite and OpenPostgres return
[[nodiscard]] core::Result<CopyReport> CopyFromSqlite(const std::string& sqlite_path,
                                                      const PostgresOptions& pg);

}  // namespace lifeline::store::pg
