// A thin owner of one sqlite3 connection: cached prepared statements, transactions, and the
// mapping from SQLite result codes to core::Error messages that name the file and what to do.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store::sqlite {

class Db;

// A cached statement borrowed from its Db; resets and clears its bindings when it goes out of
// scope, so no statement keeps a read transaction open. Binding an index the statement does not
// have is a bug and aborts.
class Stmt {
 public:
  Stmt(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  ~Stmt();

  // Parameters are 1-based, as in SQLite.
  Stmt& Int(int i, std::int64_t v);
  Stmt& Real(int i, double v);
  Stmt& Text(int i, std::string_view v);
  Stmt& Null(int i);
  Stmt& Time(int i, store::Time t) { return Int(i, ToMillis(t)); }
  Stmt& OptReal(int i, const std::optional<double>& v) { return v ? Real(i, *v) : Null(i); }
  Stmt& OptInt(int i, const std::optional<std::int64_t>& v) { return v ? Int(i, *v) : Null(i); }
  Stmt& OptTime(int i, const std::optional<store::Time>& t) { return t ? Time(i, *t) : Null(i); }

  // true: a row is ready; false: done (the statement is then reset, ready to bind and run again).
  [[nodiscard]] core::Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  [[nodiscard]] core::Status Run();

  // Columns are 0-based, as in SQLite.
  std::int64_t ColInt(int c) const { return sqlite3_column_int64(stmt_, c); }
  double ColReal(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string ColText(int c) const;
  bool ColNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  store::Time ColTime(int c) const { return FromMillis(ColInt(c)); }
  std::optional<std::int64_t> ColOptInt(int c) const {
    return ColNull(c) ? std::nullopt : std::optional<std::int64_t>(ColInt(c));
  }
  std::optional<double> ColOptReal(int c) const {
    return ColNull(c) ? std::nullopt : std::optional<double>(ColReal(c));
  }
  std::optional<store::Time> ColOptTime(int c) const {
    return ColNull(c) ? std::nullopt : std::optional<store::Time>(ColTime(c));
  }

 private:
  void Check(int rc, int i);
  Db* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens `path` with SQLITE_OPEN_* `flags`. Not thread-safe: the owner serialises use.
  [[nodiscard]] static core::Result<std::unique_ptr<Db>> Open(const std::string& path, int flags,
                                                              std::chrono::milliseconds busy);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements without results (pragmas, migrations, BEGIN/COMMIT).
  [[nodiscard]] core::Status Exec(std::string_view sql, std::string_view doing);
  // Runs a statement returning one text value (e.g. "PRAGMA journal_mode=WAL").
  [[nodiscard]] core::Result<std::string> QueryText(std::string_view sql, std::string_view doing);
  // A cached prepared statement for `sql` (prepared once per connection).
  [[nodiscard]] core::Result<Stmt> Prepare(std::string_view sql);
  std::int64_t Changes() const { return sqlite3_changes64(db_); }

  // The error for SQLite result code `rc` while `doing` something.
  core::Error ErrorFrom(int rc, std::string_view doing) const;
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  Db(sqlite3* db, std::string path, std::chrono::milliseconds busy)
      : db_(db), path_(std::move(path)), busy_(busy) {}
  friend class Stmt;
  sqlite3* db_;
  std::string path_;
  std::chrono::milliseconds busy_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// The error for a failed open of `path`, from errno-level facts (SQLite's CANTOPEN says little).
core::Error ErrorFromErrno(int err, const std::string& path, std::string_view doing);

}  // namespace lifeline::store::sqlite
