// libpq behind the PostgreSQL store: sessions, prepared statements, results, error mapping and the
// connection pool.
#include "store/pg/conn.h"

#include <fmt/format.h>

#include <poll.h>

#include <cerrno>
#include <cstdlib>

namespace lifeline::store::pg {

using core::ErrorCode;
using core::MakeError;

namespace {

// libpq's messages end in a newline and may span lines; one line reads better in a log.
std::string OneLine(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s) {
    if (c == '\n') c = ' ';
  }
  return s;
}

std::string WhereOf(PGconn* c) {
  std::string host = PQhost(c) ? PQhost(c) : "";
  std::string port = PQport(c) ? PQport(c) : "";
  std::string db = PQdb(c) ? PQdb(c) : "";
  return fmt::format("{}:{}/{}", host, port, db);
}

}  // namespace

Params& Params::Real(double v) {
  values_.emplace_back(fmt::format("{}", v));  // shortest text that reads back as the same double
  return *this;
}

ArrayParam& ArrayParam::Bare(std::string_view v) {
  if (size_++ > 0) body_ += ',';
  body_ += v;
  return *this;
}

ArrayParam& ArrayParam::Int(std::int64_t v) { return Bare(std::to_string(v)); }

ArrayParam& ArrayParam::Text(std::string_view v) {
  v = v.substr(0, v.find('\0'));
  if (size_++ > 0) body_ += ',';
  body_ += '"';
  for (char ch : v) {
    if (ch == '"' || ch == '\\') body_ += '\\';
    body_ += ch;
  }
  body_ += '"';
  return *this;
}

std::int64_t Row::ColInt(int c) const {
  return std::strtoll(PQgetvalue(res_, row_, c), nullptr, 10);
}

double Row::ColReal(int c) const { return std::strtod(PQgetvalue(res_, row_, c), nullptr); }

bool Row::ColBool(int c) const { return PQgetvalue(res_, row_, c)[0] == 't'; }

std::int64_t Rows::affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

ErrorCode CodeForSqlState(std::string_view s) {
  if (s == "23505") return ErrorCode::kAlreadyExists;
  if (s == "23503") return ErrorCode::kNotFound;  // a foreign key names a row that is gone
  if (s == "57014") return ErrorCode::kDeadlineExceeded;
  if (s == "42501") return ErrorCode::kPermissionDenied;
  if (s == "3D000") return ErrorCode::kNotFound;
  if (s == "XX001" || s == "XX002") return ErrorCode::kDataLoss;
  std::string_view cls = s.substr(0, 2);
  if (cls == "08" || cls == "53" || cls == "57" || cls == "40" || s == "55P03" || s == "25006") {
    return ErrorCode::kUnavailable;  // connection, resources, shutdown, conflicts, lock, standby
  }
  if (cls == "28") return ErrorCode::kUnauthenticated;
  if (cls == "22") return ErrorCode::kInvalidArgument;  // e.g. a NUL byte in a text value
  return ErrorCode::kInternal;
}

Conn::Conn(PGconn* conn) : conn_(conn), where_(WhereOf(conn)) {}

Conn::~Conn() { PQfinish(conn_); }

core::Result<std::unique_ptr<Conn>> Conn::Connect(const ConnectParams& params) {
  // Defaults first: the URL's own parameters override them, the separate password overrides all.
  std::vector<const char*> keys = {"application_name", "connect_timeout", "client_encoding",
                                   "dbname"};
  std::vector<const char*> values = {"lifeline", "10", "UTF8", params.url.c_str()};
  if (!params.password.empty()) {
    keys.push_back("password");
    values.push_back(params.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* raw = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (raw == nullptr) {
    return MakeError(ErrorCode::kInternal, "PostgreSQL: libpq could not allocate a connection");
  }
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string msg = OneLine(PQerrorMessage(raw));
    std::string where = WhereOf(raw);
    PQfinish(raw);
    ErrorCode code = ErrorCode::kUnavailable;
    std::string hint = "check that the server runs and the URL's host and port";
    if (msg.find("password authentication failed") != std::string::npos ||
        msg.find("no password supplied") != std::string::npos ||
        msg.find("authentication failed") != std::string::npos) {
      code = ErrorCode::kUnauthenticated;
      hint = "check the user in the URL and store.password";
    } else if (msg.find("does not exist") != std::string::npos) {
      code = ErrorCode::kNotFound;
      hint = "create the database and user first (createdb, createuser)";
    } else if (msg.find("permission denied") != std::string::npos) {
      code = ErrorCode::kPermissionDenied;
      hint = "grant the user CONNECT on the database";
    }
    return MakeError(code, "PostgreSQL {}: cannot connect: {}; {}", where, msg, hint);
  }
  std::unique_ptr<Conn> conn(new Conn(raw));
  LL_TRY(conn->Script(
      fmt::format("SET lock_timeout = '{}ms'; SET TIME ZONE 'UTC'", params.lock_timeout.count()),
      "setting the session up"));
  return conn;
}

core::Error Conn::Failure(const PGresult* res, std::string_view doing) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  last_sqlstate_ = state ? state : "";
  std::string msg = OneLine(res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  if (msg.empty()) msg = OneLine(PQerrorMessage(conn_));
  if (last_sqlstate_.empty()) {
    // No SQLSTATE: libpq lost the connection (or never had one).
    return MakeError(ErrorCode::kUnavailable, "PostgreSQL {}: {}: {}", where_, doing,
                     msg.empty() ? "the connection broke" : msg);
  }
  return MakeError(CodeForSqlState(last_sqlstate_), "PostgreSQL {}: {}: {} (SQLSTATE {})", where_,
                   doing, msg, last_sqlstate_);
}

core::Result<Rows> Conn::Exec(std::string_view sql, const Params& params, std::string_view doing) {
  std::string key(sql);
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = fmt::format("s{}", prepared_.size() + 1);
    PGresult* prep = PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr);
    ExecStatusType ps = prep ? PQresultStatus(prep) : PGRES_FATAL_ERROR;
    if (ps != PGRES_COMMAND_OK) {
      core::Error e = Failure(prep, doing);
      PQclear(prep);
      return e;
    }
    PQclear(prep);
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const auto& v : params.values()) values.push_back(v ? v->c_str() : nullptr);
  PGresult* res =
      PQexecPrepared(conn_, it->second.c_str(), params.size(), values.data(), nullptr, nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    core::Error e = Failure(res, doing);
    PQclear(res);
    return e;
  }
  last_sqlstate_.clear();
  return Rows(res);
}

core::Result<Rows> Conn::ExecOnce(std::string_view sql, const Params& params,
                                  std::string_view doing) {
  std::string text(sql);
  std::vector<const char*> values;
  values.reserve(params.values().size());
  for (const auto& v : params.values()) values.push_back(v ? v->c_str() : nullptr);
  PGresult* res =
      PQexecParams(conn_, text.c_str(), params.size(), nullptr, values.data(), nullptr, nullptr, 0);
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    core::Error e = Failure(res, doing);
    PQclear(res);
    return e;
  }
  last_sqlstate_.clear();
  return Rows(res);
}

core::Result<std::vector<Rows>> Conn::ExecPipeline(std::span<const Statement> statements,
                                                   std::string_view doing) {
  std::vector<Rows> out;
  if (statements.empty()) return out;
  // Non-blocking, so that sending a large batch never waits for the server while the server
  // waits for us to read the results of the statements before it.
  if (PQsetnonblocking(conn_, 1) != 0) return Failure(nullptr, doing);
  if (PQenterPipelineMode(conn_) != 1) {
    (void)PQsetnonblocking(conn_, 0);
    return Failure(nullptr, doing);
  }
  // What was queued, in order: a Prepare (remembered once it succeeds) or a statement.
  struct Sent {
    std::string prepare_sql;  // "" for a statement
    std::string name;
  };
  std::vector<Sent> sent;
  std::unordered_map<std::string, std::string> preparing;  // statement text -> name
  bool queued = true;
  std::vector<const char*> values;
  for (const Statement& st : statements) {
    std::string key(st.sql);
    std::string name;
    if (auto it = prepared_.find(key); it != prepared_.end()) {
      name = it->second;
    } else if (auto p = preparing.find(key); p != preparing.end()) {
      name = p->second;
    } else {
      name = fmt::format("s{}", prepared_.size() + preparing.size() + 1);
      if (PQsendPrepare(conn_, name.c_str(), key.c_str(), 0, nullptr) != 1) {
        queued = false;
        break;
      }
      preparing.emplace(key, name);
      sent.push_back({key, name});
    }
    values.clear();
    for (const auto& v : st.params.values()) values.push_back(v ? v->c_str() : nullptr);
    if (PQsendQueryPrepared(conn_, name.c_str(), st.params.size(), values.data(), nullptr, nullptr,
                            0) != 1) {
      queued = false;
      break;
    }
    sent.push_back({"", name});
  }
  std::optional<core::Error> error;
  if (!queued) error = Failure(nullptr, doing);
  if (PQpipelineSync(conn_) != 1) {
    // The connection is unusable (not idle: the pool closes it).
    return error ? *error : Failure(nullptr, doing);
  }
  std::size_t k = 0;  // the queued command whose result comes next
  bool flushed = false;
  bool synced = false;
  while (!synced) {
    if (!flushed) {
      int f = PQflush(conn_);
      if (f < 0) return Failure(nullptr, doing);
      flushed = f == 0;
    }
    if (PQconsumeInput(conn_) != 1) return Failure(nullptr, doing);
    bool ended = false;  // the last result read was the end of a command's results
    while (!synced && PQisBusy(conn_) == 0) {
      PGresult* res = PQgetResult(conn_);
      if (res == nullptr) {  // the end of one command's results
        if (ended) break;    // nothing more buffered: wait for the server
        ended = true;
        continue;
      }
      ended = false;
      ExecStatusType st = PQresultStatus(res);
      if (st == PGRES_PIPELINE_SYNC) {
        synced = true;
      } else if (k < sent.size()) {
        const Sent& s = sent[k++];
        if (st == PGRES_FATAL_ERROR && !error) error = Failure(res, doing);
        if (!s.prepare_sql.empty()) {
          if (st == PGRES_COMMAND_OK) prepared_.emplace(s.prepare_sql, s.name);
        } else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
          out.emplace_back(res);
          continue;  // `out` owns it now
        }
      }
      PQclear(res);
    }
    if (synced) break;
    pollfd fd{PQsocket(conn_), static_cast<short>(POLLIN | (flushed ? 0 : POLLOUT)), 0};
    if (fd.fd < 0 || (poll(&fd, 1, -1) < 0 && errno != EINTR)) return Failure(nullptr, doing);
  }
  if (PQexitPipelineMode(conn_) != 1 || PQsetnonblocking(conn_, 0) != 0) {
    return Failure(nullptr, doing);
  }
  if (error) return *error;
  last_sqlstate_.clear();
  return out;
}

core::Status Conn::Script(std::string_view sql, std::string_view doing) {
  std::string text(sql);
  PGresult* res = PQexec(conn_, text.c_str());
  ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    core::Error e = Failure(res, doing);
    PQclear(res);
    return e;
  }
  PQclear(res);
  last_sqlstate_.clear();
  return core::Ok();
}

core::Status Pool::Start() {
  auto lease = Acquire("connecting");
  if (!lease.ok()) return lease.error();
  Release(std::move(*lease));
  return core::Ok();
}

core::Result<Pool::Lease> Pool::Acquire(std::string_view doing) {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < size_; });
    if (!idle_.empty()) {
      Lease l{std::move(idle_.back())};
      idle_.pop_back();
      return l;
    }
    ++open_;
  }
  auto conn = Conn::Connect(params_);
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
    return MakeError(conn.error().code(), "{} ({})", conn.error().message(), doing);
  }
  return Lease{std::move(*conn)};
}

void Pool::Release(Lease lease) {
  std::lock_guard lock(mu_);
  if (lease.conn->broken() || !lease.conn->idle()) {
    lease.conn.reset();
    --open_;
  } else {
    idle_.push_back(std::move(lease.conn));
  }
  cv_.notify_one();
}

}  // namespace lifeline::store::pg
