// The PostgreSQL store's connections: a libpq connection with a prepared-statement cache, text
// parameters and row accessors shaped like the SQLite Stmt's, SQLSTATE -> core::Error mapping, and
// the pool whose Write/Read transactions every file of the PostgreSQL store uses.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/records.h"

namespace lifeline::store::pg {

// a + b + c: SQL assembled from constant pieces (column lists, optional clauses).
inline std::string Cat(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  std::string s(a);
  s += b;
  s += c;
  return s;
}

// Where and how to connect. `url` is a libpq URI (postgresql://user@host:port/db?params) without a
// password; the password, when there is one, comes separately and never appears in a message.
struct ConnectParams {
  std::string url;
  std::string password;
  // lock_timeout of every session: how long a statement waits for another session's row or table
  // lock before failing with kUnavailable (OpenOptions::busy_timeout).
  std::chrono::milliseconds lock_timeout{5000};
};

// One array parameter ($n::text[], $n::bigint[], $n::boolean[]) built an element at a time: a
// batch travels as one array per column and unnest() turns the arrays back into rows, so one
// prepared statement serves every batch size in one round trip.
class ArrayParam {
 public:
  // Quoted and escaped; like a single text parameter (libpq takes C strings), up to a NUL byte.
  ArrayParam& Text(std::string_view v);
  ArrayParam& Int(std::int64_t v);
  ArrayParam& Bool(bool v) { return Bare(v ? "t" : "f"); }
  ArrayParam& Time(store::Time t) { return Int(ToMillis(t)); }
  ArrayParam& Null() { return Bare("NULL"); }
  ArrayParam& OptTime(const std::optional<store::Time>& t) { return t ? Time(*t) : Null(); }

  std::size_t size() const { return size_; }
  // The array literal: {"a","b",NULL}.
  std::string Literal() const { return "{" + body_ + "}"; }

 private:
  ArrayParam& Bare(std::string_view v);
  std::string body_;
  std::size_t size_ = 0;
};

// Positional parameters $1, $2, ... in the order they are added, sent as text (libpq's text
// format; the statement's context or an explicit cast gives each its type).
class Params {
 public:
  Params& Text(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  Params& Int(std::int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& Real(double v);
  Params& Bool(bool v) {
    values_.emplace_back(v ? "true" : "false");
    return *this;
  }
  Params& Time(store::Time t) { return Int(ToMillis(t)); }
  Params& Null() {
    values_.emplace_back(std::nullopt);
    return *this;
  }
  Params& OptTime(const std::optional<store::Time>& t) { return t ? Time(*t) : Null(); }
  Params& OptReal(const std::optional<double>& v) { return v ? Real(*v) : Null(); }
  Params& Array(const ArrayParam& a) {
    values_.emplace_back(a.Literal());
    return *this;
  }

  int size() const { return static_cast<int>(values_.size()); }
  const std::vector<std::optional<std::string>>& values() const { return values_; }

 private:
  std::vector<std::optional<std::string>> values_;
};

// One statement of a pipeline (Conn::ExecPipeline). `sql` must outlive the call.
struct Statement {
  std::string_view sql;
  Params params;
};

// One row of a result; columns are 0-based, as in the SQLite Stmt.
class Row {
 public:
  Row(const PGresult* res, int row) : res_(res), row_(row) {}
  bool ColNull(int c) const { return PQgetisnull(res_, row_, c) == 1; }
  std::string ColText(int c) const { return std::string(PQgetvalue(res_, row_, c)); }
  std::int64_t ColInt(int c) const;
  double ColReal(int c) const;
  bool ColBool(int c) const;  // a boolean column ('t'/'f')
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
  const PGresult* res_;
  int row_;
};

// A command's result: its rows (none for a command without RETURNING) and how many rows it changed.
class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* res) : res_(res, &PQclear) {}
  int size() const { return res_ ? PQntuples(res_.get()) : 0; }
  bool empty() const { return size() == 0; }
  Row operator[](int i) const { return Row(res_.get(), i); }
  // Rows inserted, updated or deleted (PQcmdTuples); 0 for a SELECT.
  std::int64_t affected() const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> res_{nullptr, &PQclear};
};

// One session. Not thread-safe: the pool hands a connection to one thread at a time.
class Conn {
 public:
  // Connects and sets the session up (UTC, lock_timeout). Errors name the server (never the
  // password): kUnavailable (unreachable), kUnauthenticated (refused credentials), kNotFound (no
  // such database), kPermissionDenied.
  static core::Result<std::unique_ptr<Conn>> Connect(const ConnectParams& params);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  // Runs one statement with parameters, prepared once per connection and cached by its text.
  [[nodiscard]] core::Result<Rows> Exec(std::string_view sql, const Params& params,
                                        std::string_view doing);
  [[nodiscard]] core::Result<Rows> Exec(std::string_view sql, std::string_view doing) {
    return Exec(sql, Params(), doing);
  }
  // Runs a statement without preparing it: for texts that vary (a multi-row INSERT per batch
  // size), which would fill the prepared-statement cache.
  [[nodiscard]] core::Result<Rows> ExecOnce(std::string_view sql, const Params& params,
                                            std::string_view doing);
  // Runs `statements` in order in one round trip (libpq pipeline mode), each prepared once per
  // connection as Exec does, and returns their results in order. The first statement to fail
  // fails the call and the server skips the ones after it; in a transaction, the transaction is
  // then aborted (Pool::Write rolls it back and may run fn again, as after Exec).
  [[nodiscard]] core::Result<std::vector<Rows>> ExecPipeline(std::span<const Statement> statements,
                                                             std::string_view doing);
  // Runs statements without parameters (one or more, separated by ';'): transaction control and
  // migrations.
  [[nodiscard]] core::Status Script(std::string_view sql, std::string_view doing);

  // The SQLSTATE of the last failed command ("" when it had none, e.g. the connection broke).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // The connection is gone (the server restarted, the network broke): the pool replaces it.
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  // Outside any transaction: what a connection back in the pool must be.
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  // The server, for messages: "host:port/db".
  const std::string& where() const { return where_; }

 private:
  explicit Conn(PGconn* conn);
  core::Error Failure(const PGresult* res, std::string_view doing);

  PGconn* conn_;
  std::string where_;
  std::string last_sqlstate_;
  std::unordered_map<std::string, std::string> prepared_;  // statement text -> prepared name
};

// SQLSTATE -> the most specific core::ErrorCode (unique violation -> kAlreadyExists, connection
// and lock failures -> kUnavailable, ...).
core::ErrorCode CodeForSqlState(std::string_view sqlstate);

// Connections shared by the Store and its slices: each Write or Read takes an idle connection (or
// opens one, up to `size`), so many threads run transactions at once, each on its own session.
class Pool {
 public:
  // kFull: the commit waits for the WAL to be flushed on the server (synchronous_commit as the
  // server sets it, on by default: survives a server crash and power loss). kNormal: the commit
  // does not wait for the flush (SET LOCAL synchronous_commit = off): a server crash may lose the
  // last fraction of a second of such writes, never corrupts; the lifeline process being killed
  // loses nothing that returned. Samples, states and reports use it, as in SQLite.
  enum class Sync { kNormal, kFull };

  Pool(ConnectParams params, std::size_t size) : params_(std::move(params)), size_(size) {}

  // Opens the first connection: a bad URL, refused credentials or an unreachable server fail here.
  [[nodiscard]] core::Status Start();

  // Runs fn(Conn&) -> Result<T>/Status in a READ COMMITTED transaction; commits on success, rolls
  // back on error. Row locks (UPDATE ... RETURNING, FOR UPDATE) serialise writers on the rows
  // they touch. A deadlock or serialisation failure (40P01, 40001) runs fn again, up to 5 times:
  // fn must keep its results in its own locals (or reset them), not add to what it found before.
  template <typename F>
  auto Write(Sync sync, std::string_view doing, F&& fn) -> std::invoke_result_t<F, Conn&> {
    using R = std::invoke_result_t<F, Conn&>;
    for (int attempt = 1;; ++attempt) {
      auto lease = Acquire(doing);
      if (!lease.ok()) return R(lease.error());
      Conn& c = *lease->conn;
      if (auto s = c.Script(
              sync == Sync::kFull ? "BEGIN" : "BEGIN; SET LOCAL synchronous_commit = off", doing);
          !s) {
        Release(std::move(*lease));
        return R(s.error());
      }
      R r = fn(c);
      if (!r.ok()) {
        bool retry = attempt < 5 && (c.last_sqlstate() == "40P01" || c.last_sqlstate() == "40001");
        (void)c.Script("ROLLBACK", "rolling back");
        Release(std::move(*lease));
        if (retry) continue;
        return r;
      }
      auto s = c.Script("COMMIT", doing);
      Release(std::move(*lease));
      if (!s) return R(s.error());
      return r;
    }
  }

  // Runs fn(Conn&) on a connection outside any transaction (fn runs its own: migrations).
  template <typename F>
  auto Session(std::string_view doing, F&& fn) -> std::invoke_result_t<F, Conn&> {
    using R = std::invoke_result_t<F, Conn&>;
    auto lease = Acquire(doing);
    if (!lease.ok()) return R(lease.error());
    R r = fn(*lease->conn);
    Release(std::move(*lease));
    return r;
  }

  // Runs fn(Conn&) in a REPEATABLE READ, READ ONLY transaction: a multi-statement read sees one
  // snapshot and never waits for writers.
  template <typename F>
  auto Read(std::string_view doing, F&& fn) -> std::invoke_result_t<F, Conn&> {
    using R = std::invoke_result_t<F, Conn&>;
    auto lease = Acquire(doing);
    if (!lease.ok()) return R(lease.error());
    Conn& c = *lease->conn;
    if (auto s = c.Script("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", doing); !s) {
      Release(std::move(*lease));
      return R(s.error());
    }
    R r = fn(c);
    (void)c.Script(r.ok() ? "COMMIT" : "ROLLBACK", doing);
    Release(std::move(*lease));
    return r;
  }

 private:
  struct Lease {
    std::unique_ptr<Conn> conn;
  };
  core::Result<Lease> Acquire(std::string_view doing);
  // Back to the idle list, or closed when it broke (the next Acquire opens a new one).
  void Release(Lease lease);

  const ConnectParams params_;
  const std::size_t size_;
  std::mutex mu_;  // guards idle_ and open_
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Conn>> idle_;
  std::size_t open_ = 0;  // connections that exist: idle plus lent out
};

}  // namespace lifeline::store::pg
