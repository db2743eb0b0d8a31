// The migration runner for PostgreSQL: schema_version bookkeeping and ordered application in the
// session's current schema (the URL's search_path or "public").
#include "store/pg/migrate.h"

#include <string>

namespace lifeline::store::pg {

using core::ErrorCode;
using core::MakeError;

namespace {

// pg_advisory_xact_lock key of the migration runner ("Lifeline schema").
constexpr std::int64_t kMigrationLock = 0x4C6966654D6967;

core::Status MigrateLocked(Conn& c, std::span<const migrations::Migration> list,
                           std::int64_t now_ms) {
  LL_ASSIGN(Rows lock, c.Exec("SELECT pg_advisory_xact_lock($1::bigint)",
                              Params().Int(kMigrationLock), "waiting for other migrations"));
  (void)lock;
  LL_ASSIGN(Rows has, c.Exec("SELECT to_regclass('schema_version') IS NOT NULL, "
                             "(SELECT count(*) FROM pg_catalog.pg_tables "
                             "WHERE schemaname = current_schema()), current_schema()",
                             "checking the database's schema"));
  const bool has_version = has[0].ColBool(0);
  const std::string schema = has[0].ColText(2);
  if (!has_version) {
    if (has[0].ColInt(1) > 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "PostgreSQL {}: schema \"{}\" has tables but no schema_version: another "
                       "program's database; lifeline has not modified it: give lifeline its own "
                       "database (or schema, with ?options=-csearch_path%3DNAME in the URL)",
                       c.where(), schema);
    }
    LL_TRY(
        c.Script("CREATE TABLE schema_version (version integer PRIMARY KEY, "
                 "name text NOT NULL, applied_at bigint NOT NULL)",
                 "creating schema_version"));
  }
  std::int64_t current = 0;
  LL_ASSIGN(Rows applied, c.Exec("SELECT version, name FROM schema_version ORDER BY version",
                                 "reading schema_version"));
  for (int i = 0; i < applied.size(); ++i) {
    std::int64_t version = applied[i].ColInt(0);
    std::string name = applied[i].ColText(1);
    current = version;
    if (version > static_cast<std::int64_t>(list.size())) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "PostgreSQL {}: database schema version {} is newer than this lifeline "
                       "supports (up to {}); run a newer lifeline, or point this one at another "
                       "database",
                       c.where(), version, list.size());
    }
    if (version < 1) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "PostgreSQL {}: schema_version holds version {}; the database is not one "
                       "lifeline wrote",
                       c.where(), version);
    }
    const auto& known = list[static_cast<std::size_t>(version - 1)];
    if (known.name != name) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "PostgreSQL {}: schema version {} was applied as \"{}\" but this lifeline "
                       "knows it as \"{}\"; the database comes from an incompatible build",
                       c.where(), version, name, known.name);
    }
  }
  for (const auto& m : list) {
    if (m.version <= current) continue;
    LL_TRY(c.Script(m.sql, fmt::format("applying migration {}", m.name)));
    LL_ASSIGN(Rows rec,
              c.Exec("INSERT INTO schema_version (version, name, applied_at) "
                     "VALUES ($1::integer, $2::text, $3::bigint)",
                     Params().Int(m.version).Text(m.name).Int(now_ms), "recording a migration"));
    (void)rec;
  }
  return core::Ok();
}

}  // namespace

core::Status Migrate(Conn& c, std::span<const migrations::Migration> list, std::int64_t now_ms) {
  LL_TRY(c.Script("BEGIN", "starting the migrations"));
  auto s = MigrateLocked(c, list, now_ms);
  if (!s) {
    (void)c.Script("ROLLBACK", "rolling back");
    return s;
  }
  return c.Script("COMMIT", "committing migrations");
}

}  // namespace lifeline::store::pg
