// sqlite3 connection wrapper: statement cache and SQLite result codes -> core::Error.
#include "store/sqlite/db.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lifeline::store::sqlite {

using core::ErrorCode;
using core::MakeError;

namespace {

std::string Who() { return fmt::format("uid {}", static_cast<unsigned>(geteuid())); }

}  // namespace

core::Error ErrorFromErrno(int err, const std::string& path, std::string_view doing) {
  switch (err) {
    case EACCES:
    case EPERM:
    case EROFS:
      return MakeError(ErrorCode::kPermissionDenied,
                       "{}: permission denied while {} ({}); make the file and its directory "
                       "readable and writable by the user running lifeline ({})",
                       path, doing, std::strerror(err), Who());
    case ENOENT:
    case ENOTDIR:
      return MakeError(ErrorCode::kNotFound, "{}: {} while {}; check the path", path,
                       std::strerror(err), doing);
    case ENOSPC:
    case EDQUOT:
      return MakeError(ErrorCode::kResourceExhausted, "{}: {} while {}; free disk space", path,
                       std::strerror(err), doing);
    default:
      return MakeError(ErrorCode::kUnavailable, "{}: {} while {}", path, std::strerror(err), doing);
  }
}

core::Result<std::unique_ptr<Db>> Db::Open(const std::string& path, int flags,
                                           std::chrono::milliseconds busy) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_EXRESCODE, nullptr);
  std::unique_ptr<Db> db(new Db(raw, path, busy));
  if (rc != SQLITE_OK) {
    if (raw == nullptr) return MakeError(ErrorCode::kInternal, "{}: out of memory opening", path);
    int err = sqlite3_system_errno(raw);
    if ((rc & 0xff) == SQLITE_CANTOPEN && err != 0) return ErrorFromErrno(err, path, "opening");
    return db->ErrorFrom(rc, "opening");
  }
  sqlite3_busy_timeout(raw, static_cast<int>(busy.count()));
  return db;
}

Db::~Db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // close_v2: the last connection to close checkpoints the WAL and removes it.
  sqlite3_close_v2(db_);
}

core::Error Db::ErrorFrom(int rc, std::string_view doing) const {
  const char* msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return MakeError(ErrorCode::kUnavailable,
                       "{}: database is locked by another process (gave up after {} ms while "
                       "{}); stop the other program using it (another lifeline, or an sqlite3 "
                       "shell in a transaction) or point lifeline at another database file",
                       path_, busy_.count(), doing);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return MakeError(ErrorCode::kPermissionDenied,
                       "{}: cannot write the database while {} ({}); make the file and its "
                       "directory writable by the user running lifeline ({})",
                       path_, doing, msg, Who());
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return MakeError(ErrorCode::kDataLoss,
                       "{}: the database file is corrupt or not a database ({} while {}); "
                       "lifeline has not modified it: move it aside and restore a backup, or "
                       "start with a new file",
                       path_, msg, doing);
    case SQLITE_FULL:
      return MakeError(ErrorCode::kResourceExhausted, "{}: disk full while {}; free disk space",
                       path_, doing);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR: {
      int err = db_ ? sqlite3_system_errno(db_) : 0;
      if (err != 0) return ErrorFromErrno(err, path_, doing);
      return MakeError(ErrorCode::kUnavailable, "{}: I/O error while {} ({})", path_, doing, msg);
    }
    case SQLITE_CONSTRAINT:
      return MakeError(ErrorCode::kInvalidArgument, "{}: constraint failed while {} ({})", path_,
                       doing, msg);
    default:
      return MakeError(ErrorCode::kInternal, "{}: SQLite error while {}: {} (code {})", path_,
                       doing, msg, rc);
  }
}

core::Status Db::Exec(std::string_view sql, std::string_view doing) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return ErrorFrom(rc, doing);
  return core::Ok();
}

core::Result<std::string> Db::QueryText(std::string_view sql, std::string_view doing) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return ErrorFrom(rc, doing);
  std::string out;
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(stmt, 0);
    if (t) out = reinterpret_cast<const char*>(t);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
  }
  auto err = rc == SQLITE_DONE ? std::optional<core::Error>() : ErrorFrom(rc, doing);
  sqlite3_finalize(stmt);
  if (err) return *err;
  return out;
}

core::Result<Stmt> Db::Prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end()) return Stmt(this, it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return ErrorFrom(rc, fmt::format("preparing \"{:.60}\"", key));
  }
  cache_.emplace(std::move(key), stmt);
  return Stmt(this, stmt);
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Stmt::Check(int rc, int i) {
  if (rc != SQLITE_OK) {
    // A wrong index or a statement misuse: a bug in this file, not an environment failure.
    fmt::print(stderr, "store: binding parameter {} of \"{}\" failed: {}\n", i, sqlite3_sql(stmt_),
               sqlite3_errstr(rc));
    std::abort();
  }
}

Stmt& Stmt::Int(int i, std::int64_t v) {
  Check(sqlite3_bind_int64(stmt_, i, v), i);
  return *this;
}
Stmt& Stmt::Real(int i, double v) {
  Check(sqlite3_bind_double(stmt_, i, v), i);
  return *this;
}
Stmt& Stmt::Text(int i, std::string_view v) {
  Check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8), i);
  return *this;
}
Stmt& Stmt::Null(int i) {
  Check(sqlite3_bind_null(stmt_, i), i);
  return *this;
}

core::Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  // Reset at once (bindings stay) so the statement can be bound and run again.
  auto error = rc == SQLITE_DONE
                   ? std::optional<core::Error>()
                   : db_->ErrorFrom(rc, fmt::format("running \"{:.60}\"", sqlite3_sql(stmt_)));
  sqlite3_reset(stmt_);
  if (error) return *error;
  return false;
}

core::Status Stmt::Run() {
  while (true) {
    auto r = Step();
    if (!r) return r.error();
    if (!*r) return core::Ok();
  }
}

std::string Stmt::ColText(int c) const {
  const unsigned char* t = sqlite3_column_text(stmt_, c);
  if (t == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)));
}

}  // namespace lifeline::store::sqlite
