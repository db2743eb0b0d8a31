// store/pg/copy.h: SQLite to PostgreSQL, table by table, driven by PostgreSQL's catalog (its
// tables, their columns and types, their foreign keys), so a table a migration adds is copied
// without a change here — and a column one side has and the other lacks stops the copy, naming it.
#include "store/pg/copy.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "store/migrations/migrations.h"
#include "store/pg/conn.h"
#include "store/sqlite/db.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using core::Status;

// Tables that are not the installation's data: the schema's own bookkeeping, the instances and
// leases of running processes (each instance makes its own), and the secrets the instances share
// (the first to start keeps its own: a moved installation's link.secret).
const std::set<std::string, std::less<>> kNotData = {"schema_version", "instances", "leases",
                                                     "shared_secrets"};
// Kept by triggers from the rows copied (0002_outbox.sql, 0009_cluster.sql): copying them too
// would count twice.
const std::set<std::string, std::less<>> kDerived = {"message_count_deltas", "message_counts"};
// Rows per INSERT statement (each row's values are parameters; PostgreSQL allows 65,535).
constexpr std::size_t kBatchRows = 500;

struct Column {
  std::string name;
  std::string type;  // information_schema data_type: bigint, integer, boolean, text, ...
  bool identity = false;
  bool has_default = false;  // a default or nullable: may be left out
};

std::string Quote(std::string_view name) { return fmt::format("\"{}\"", name); }

// PostgreSQL's tables in an order where each comes after the tables its foreign keys name.
Result<std::vector<std::string>> TablesInOrder(Conn& c) {
  LL_ASSIGN(Rows tables, c.Exec("SELECT table_name FROM information_schema.tables WHERE "
                                "table_schema = current_schema() AND table_type = 'BASE TABLE' "
                                "ORDER BY table_name COLLATE \"C\"",
                                "listing PostgreSQL's tables"));
  LL_ASSIGN(Rows fks, c.Exec("SELECT conrelid::regclass::text, confrelid::regclass::text FROM "
                             "pg_constraint WHERE contype = 'f' AND connamespace = "
                             "current_schema()::regnamespace",
                             "reading foreign keys"));
  std::map<std::string, std::set<std::string>> parents;
  for (int i = 0; i < tables.size(); ++i) parents[tables[i].ColText(0)];
  for (int i = 0; i < fks.size(); ++i) {
    std::string child = fks[i].ColText(0), parent = fks[i].ColText(1);
    if (child != parent) parents[child].insert(parent);
  }
  std::vector<std::string> out;
  std::set<std::string> placed;
  while (placed.size() < parents.size()) {
    bool progress = false;
    for (const auto& [table, ps] : parents) {
      if (placed.count(table) > 0) continue;
      if (std::all_of(ps.begin(), ps.end(), [&](const std::string& p) {
            return placed.count(p) > 0 || parents.count(p) == 0;
          })) {
        out.push_back(table);
        placed.insert(table);
        progress = true;
      }
    }
    if (!progress) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "PostgreSQL: the tables' foreign keys form a cycle; cannot order the copy");
    }
  }
  return out;
}

Result<std::vector<Column>> PgColumns(Conn& c, const std::string& table) {
  LL_ASSIGN(Rows r, c.Exec("SELECT column_name, data_type, is_identity = 'YES', "
                           "column_default IS NOT NULL OR is_nullable = 'YES' "
                           "FROM information_schema.columns WHERE table_schema = "
                           "current_schema() AND table_name = $1::text ORDER BY ordinal_position",
                           Params().Text(table), "reading a table's columns"));
  std::vector<Column> out;
  for (int i = 0; i < r.size(); ++i) {
    out.push_back({r[i].ColText(0), r[i].ColText(1), r[i].ColBool(2), r[i].ColBool(3)});
  }
  return out;
}

Result<std::set<std::string>> SqliteColumns(sqlite::Db& db, const std::string& table) {
  LL_ASSIGN(auto st, db.Prepare(fmt::format("PRAGMA table_info({})", Quote(table))));
  std::set<std::string> out;
  while (true) {
    LL_ASSIGN(bool row, st.Step());
    if (!row) break;
    out.insert(st.ColText(1));
  }
  return out;
}

// A value of SQLite column `i` as PostgreSQL's text form for `type`.
void AddValue(Params& p, const sqlite::Stmt& st, int i, const Column& col) {
  if (st.ColNull(i)) {
    p.Null();
  } else if (col.type == "boolean") {
    p.Bool(st.ColInt(i) != 0);
  } else if (col.type == "bigint" || col.type == "integer" || col.type == "smallint") {
    p.Int(st.ColInt(i));
  } else if (col.type == "double precision" || col.type == "real" || col.type == "numeric") {
    p.Real(st.ColReal(i));
  } else {
    p.Text(st.ColText(i));
  }
}

std::string Cast(const Column& col) {
  if (col.type == "USER-DEFINED" || col.type == "ARRAY") return "";
  return "::" + col.type;
}

// Copies one table: its rows from SQLite, in rowid order where it has one, in batches.
Result<std::int64_t> CopyTable(Conn& c, sqlite::Db& db, const std::string& table,
                               const std::vector<Column>& columns) {
  std::string names, select;
  bool identity = false;
  for (const Column& col : columns) {
    if (!names.empty()) names += ", ";
    names += Quote(col.name);
    identity |= col.identity;
  }
  const bool meta = table == "meta";  // the store wrote its own at open: the installation's wins
  std::string head = fmt::format("INSERT INTO {} ({}){} VALUES ", Quote(table), names,
                                 identity ? " OVERRIDING SYSTEM VALUE" : "");
  std::string tail;
  if (meta) tail = " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

  LL_ASSIGN(auto st, db.Prepare(fmt::format("SELECT {} FROM {}", names, Quote(table))));
  std::int64_t copied = 0;
  Params batch;
  std::size_t in_batch = 0;
  std::string values;
  auto flush = [&]() -> Status {
    if (in_batch == 0) return core::Ok();
    LL_TRY(c.Exec(head + values + tail, batch, fmt::format("copying {}", table)));
    copied += static_cast<std::int64_t>(in_batch);
    batch = Params();
    values.clear();
    in_batch = 0;
    return core::Ok();
  };
  while (true) {
    LL_ASSIGN(bool row, st.Step());
    if (!row) break;
    values += in_batch == 0 ? "(" : ", (";
    for (std::size_t i = 0; i < columns.size(); ++i) {
      AddValue(batch, st, static_cast<int>(i), columns[i]);
      values += fmt::format("{}${}{}", i == 0 ? "" : ", ", batch.size(), Cast(columns[i]));
    }
    values += ")";
    if (++in_batch == kBatchRows) LL_TRY(flush());
  }
  LL_TRY(flush());
  // Identity columns go on after the highest id copied.
  for (const Column& col : columns) {
    if (!col.identity) continue;
    LL_TRY(c.Exec(fmt::format("SELECT setval(pg_get_serial_sequence('{}', '{}'), "
                              "COALESCE(max({}), 1), max({}) IS NOT NULL) FROM {}",
                              table, col.name, Quote(col.name), Quote(col.name), Quote(table)),
                  fmt::format("moving {}'s id sequence past the copied rows", table)));
  }
  return copied;
}

Result<CopyReport> CopyIn(Conn& c, sqlite::Db& db, const std::string& sqlite_path) {
  CopyReport report;
  report.schema_version = static_cast<int>(migrations::kPostgresqlMigrations.size());
  LL_ASSIGN(std::vector<std::string> tables, TablesInOrder(c));
  // Only into an empty database: merging two installations' ids is not a copy.
  for (const std::string& t : tables) {
    if (kNotData.count(t) > 0 || t == "meta") continue;
    LL_ASSIGN(Rows r,
              c.Exec(fmt::format("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT 1) s", Quote(t)),
                     "checking that the database is empty"));
    if (r[0].ColInt(0) > 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "PostgreSQL: the database already holds data (table {} has rows): "
                       "lifeline migrate copies only into a new, empty database",
                       t);
    }
  }
  LL_ASSIGN(auto sqlite_tables_st,
            db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table'"));
  std::set<std::string> sqlite_tables;
  while (true) {
    LL_ASSIGN(bool row, sqlite_tables_st.Step());
    if (!row) break;
    sqlite_tables.insert(sqlite_tables_st.ColText(0));
  }
  for (const std::string& t : tables) {
    if (kNotData.count(t) > 0) continue;
    if (kDerived.count(t) > 0) {
      report.derived.push_back(t);
      continue;
    }
    if (sqlite_tables.count(t) == 0) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "{}: has no table {}, which PostgreSQL's schema has: the two schemas "
                       "differ (a bug: report it)",
                       sqlite_path, t);
    }
    LL_ASSIGN(std::vector<Column> pg_cols, PgColumns(c, t));
    LL_ASSIGN(std::set<std::string> sqlite_cols, SqliteColumns(db, t));
    std::vector<Column> cols;
    std::set<std::string> pg_names;
    for (const Column& col : pg_cols) {
      pg_names.insert(col.name);
      if (sqlite_cols.count(col.name) > 0) {
        cols.push_back(col);
      } else if (!col.has_default) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "{}: table {} has no column {}, which PostgreSQL's needs: the two "
                         "schemas differ (a bug: report it)",
                         sqlite_path, t, col.name);
      }
    }
    for (const std::string& name : sqlite_cols) {
      if (pg_names.count(name) == 0) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         "PostgreSQL: table {} has no column {}, which {} has: copying would lose "
                         "it (a bug: report it)",
                         t, name, sqlite_path);
      }
    }
    LL_ASSIGN(std::int64_t copied, CopyTable(c, db, t, cols));
    // Every row arrived (meta may have had the store's own rows replaced, not added).
    LL_ASSIGN(auto count, db.Prepare(fmt::format("SELECT count(*) FROM {}", Quote(t))));
    LL_ASSIGN(bool has, count.Step());
    const std::int64_t expected = has ? count.ColInt(0) : 0;
    if (copied != expected) {
      return MakeError(ErrorCode::kDataLoss, "copying {}: read {} rows of {}; nothing was kept", t,
                       copied, expected);
    }
    report.tables.push_back({t, copied});
    report.rows += copied;
  }
  return report;
}

}  // namespace

Result<CopyReport> CopyFromSqlite(const std::string& sqlite_path, const PostgresOptions& pg) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(sqlite_path, ec)) {
    return MakeError(ErrorCode::kNotFound, "{}: no such file (the SQLite store to copy)",
                     sqlite_path);
  }
  {
    // Both schemas as this binary makes them: the SQLite file migrated forward if it is older, the
    // PostgreSQL tables created.
    LL_ASSIGN(auto from, OpenSqlite(sqlite_path));
    LL_ASSIGN(auto to, OpenPostgres(pg));
  }
  LL_ASSIGN(auto db, sqlite::Db::Open(sqlite_path, SQLITE_OPEN_READONLY, std::chrono::seconds(5)));
  LL_ASSIGN(auto conn, Conn::Connect({pg.url, pg.password, std::chrono::seconds(5)}));
  // One snapshot of the SQLite file, however long the copy takes.
  LL_TRY(db->Exec("BEGIN", "starting to read the SQLite store"));
  LL_TRY(conn->Script("BEGIN", "starting the copy"));
  auto report = CopyIn(*conn, *db, sqlite_path);
  (void)db->Exec("COMMIT", "finishing the read");
  if (!report.ok()) {
    (void)conn->Script("ROLLBACK", "rolling the copy back");
    return report.error();
  }
  LL_TRY(conn->Script("COMMIT", "committing the copy"));
  return report;
}

}  // namespace lifeline::store::pg
