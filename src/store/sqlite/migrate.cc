// The migration runner for SQLite: schema_version bookkeeping and ordered application.
#include "store/sqlite/migrate.h"

#include <string>

namespace lifeline::store::sqlite {

using core::ErrorCode;
using core::MakeError;

namespace {

core::Result<std::int64_t> Count(Db& db, const char* sql) {
  auto stmt = db.Prepare(sql);
  if (!stmt) return stmt.error();
  if (auto r = stmt->Step(); !r) return r.error();
  return stmt->ColInt(0);
}

}  // namespace

core::Status CheckIsOurs(Db& db) {
  auto has_version = Count(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!has_version) return has_version.error();
  if (*has_version > 0) return core::Ok();
  auto tables = Count(db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'");
  if (!tables) return tables.error();
  if (*tables > 0) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "{}: an SQLite database that is not Lifeline's (it has tables but no "
                     "schema_version); lifeline has not modified it: point lifeline at another "
                     "file",
                     db.path());
  }
  return core::Ok();
}

namespace {

core::Status MigrateLocked(Db& db, std::span<const migrations::Migration> list,
                           std::int64_t now_ms) {
  if (auto s = CheckIsOurs(db); !s) return s;
  auto has_version = Count(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!has_version) return has_version.error();
  if (*has_version == 0) {
    if (auto s =
            db.Exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                    "applied_at INTEGER NOT NULL)",
                    "creating schema_version");
        !s) {
      return s;
    }
  }
  std::int64_t current = 0;
  {
    auto applied = db.Prepare("SELECT version, name FROM schema_version ORDER BY version");
    if (!applied) return applied.error();
    while (true) {
      auto row = applied->Step();
      if (!row) return row.error();
      if (!*row) break;
      std::int64_t version = applied->ColInt(0);
      std::string name = applied->ColText(1);
      current = version;
      if (version > static_cast<std::int64_t>(list.size())) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "{}: database schema version {} is newer than this lifeline supports "
                         "(up to {}); run a newer lifeline, or point this one at another file",
                         db.path(), version, list.size());
      }
      if (version < 1) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "{}: schema_version holds version {}; the database is not one lifeline "
                         "wrote",
                         db.path(), version);
      }
      const auto& known = list[static_cast<std::size_t>(version - 1)];
      if (known.name != name) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "{}: schema version {} was applied as \"{}\" but this lifeline knows it "
                         "as \"{}\"; the database comes from an incompatible build",
                         db.path(), version, name, known.name);
      }
    }
  }
  for (const auto& m : list) {
    if (m.version <= current) continue;
    if (auto s = db.Exec(m.sql, fmt::format("applying migration {}", m.name)); !s) return s;
    auto record =
        db.Prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)");
    if (!record) return record.error();
    record->Int(1, m.version).Text(2, m.name).Int(3, now_ms);
    if (auto s = record->Run(); !s) return s;
  }
  return core::Ok();
}

}  // namespace

core::Status Migrate(Db& db, std::span<const migrations::Migration> list, std::int64_t now_ms) {
  if (auto s = db.Exec("BEGIN IMMEDIATE", "locking the database to check its schema"); !s) {
    return s;
  }
  auto s = MigrateLocked(db, list, now_ms);
  if (!s) {
    (void)db.Exec("ROLLBACK", "rolling back");
    return s;
  }
  return db.Exec("COMMIT", "committing migrations");
}

}  // namespace lifeline::store::sqlite
