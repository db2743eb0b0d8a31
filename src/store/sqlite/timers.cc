// The SQLite timer store (store/timers.h): all of its SQL. Every write is one IMMEDIATE
// transaction on the store's writer, synced at commit (Sync::kFull), so a scheduled timer and
// every claim and outcome survive power loss.
#include "store/sqlite/timers.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/common.h"
#include "store/timers_common.h"

namespace lifeline::store::sqlite {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using Sync = Connections::Sync;

// The columns TimerFromRow reads, in its order.
constexpr std::string_view kColumns =
    "id, timer_key, kind, due, payload, owner, state, attempts, claimed_by, lease_until, "
    "last_error, created_at, updated_at";

std::string Sql(std::string_view a, std::string_view b = {}, std::string_view c = {}) {
  std::string s(a);
  s += b;
  s += c;
  return s;
}

Timer TimerFromRow(const Stmt& s) {
  Timer t;
  t.id = s.ColText(0);
  t.key = s.ColText(1);
  t.kind = s.ColText(2);
  t.due = s.ColTime(3);
  t.payload_json = s.ColText(4);
  t.owner = s.ColText(5);
  t.state = ParseTimerState(s.ColText(6)).value_or(TimerState::kPending);
  t.attempts = static_cast<int>(s.ColInt(7));
  t.claimed_by = s.ColText(8);
  t.lease_until = s.ColOptTime(9);
  t.last_error = s.ColText(10);
  t.created_at = s.ColTime(11);
  t.updated_at = s.ColTime(12);
  return t;
}

// Runs a prepared statement returning <kColumns>; nullopt when it produced no row.
Result<std::optional<Timer>> OneRow(Stmt& st) {
  auto row = st.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<Timer>();
  Timer t = TimerFromRow(st);
  // Finish the statement so a write completes (and a read ends) before the next statement.
  if (auto rest = st.Run(); !rest) return rest.error();
  return std::optional<Timer>(std::move(t));
}

Result<Timer> SelectWhere(Db& db, std::string_view column, std::string_view value) {
  auto sel = db.Prepare(Sql("SELECT ", kColumns, Sql(" FROM timers WHERE ", column, " = ?1")));
  if (!sel) return sel.error();
  sel->Text(1, value);
  LL_ASSIGN(auto t, OneRow(*sel));
  if (!t) {
    return MakeError(ErrorCode::kNotFound, "no timer with {} {}", column == "id" ? "id" : "key",
                     value);
  }
  return std::move(*t);
}

// The refusal for a claimant that no longer holds timer `id` (or kNotFound).
core::Error NotClaimedBy(Db& db, std::string_view id, std::string_view claimant) {
  auto t = SelectWhere(db, "id", id);
  if (!t) return t.error();
  if (t->state == TimerState::kClaimed) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "timer {} is claimed by {}: the lease of {} ran out", t->key, t->claimed_by,
                     claimant);
  }
  return MakeError(ErrorCode::kFailedPrecondition, "timer {} is {}, no longer claimed by {}",
                   t->key, TimerStateName(t->state), claimant);
}

class SqliteTimers final : public TimerStore {
 public:
  explicit SqliteTimers(Connections* conns) : conns_(conns) {}

  Result<ScheduledTimer> Schedule(const NewTimer& timer) override;
  Result<Timer> Reschedule(std::string_view key, Time due, Time at) override;
  Result<Timer> Cancel(std::string_view key, Time at) override;
  Result<std::int64_t> CancelOwner(std::string_view owner, Time at) override;
  Result<std::vector<Timer>> ClaimDue(Time now, std::string_view worker,
                                      std::chrono::milliseconds lease, std::size_t limit,
                                      std::span<const std::string> kinds) override;
  Result<Timer> Complete(std::string_view id, std::string_view claimant, Time at) override;
  Result<Timer> Fail(std::string_view id, std::string_view claimant, std::string_view error,
                     std::optional<Time> retry_at, Time at) override;
  Result<Timer> Release(std::string_view id, std::string_view claimant, Time at) override;
  Result<Timer> Get(std::string_view key) override;
  Result<std::vector<Timer>> List(const TimerQuery& query) override;
  Result<std::optional<Time>> NextDue(std::span<const std::string> kinds) override;
  Result<std::int64_t> PruneFinal(Time before) override;

 private:
  // Applies `set_sql` (binding ?3 = at and what `bind` adds from ?4) to timer `id` if it is still
  // claimed by `claimant`; otherwise the refusal.
  template <typename Bind>
  Result<Timer> ByClaimant(std::string_view doing, std::string_view id, std::string_view claimant,
                           Time at, std::string_view set_sql, Bind bind);

  Connections* conns_;  // owned by the SqliteStore; its own mutexes guard the connections
};

Result<ScheduledTimer> SqliteTimers::Schedule(const NewTimer& t) {
  LL_TRY(ValidateNewTimer(t));
  // Drawn before the transaction (RAND_bytes is not worth holding the writer for).
  LL_ASSIGN(std::string id, internal::NewId("tmr_", t.created_at));
  return conns_->Write(Sync::kFull, "scheduling a timer", [&](Db& db) -> Result<ScheduledTimer> {
    {
      auto ins = db.Prepare(
          "INSERT INTO timers (id, timer_key, kind, due, payload, owner, state, attempts, "
          "claimed_by, lease_until, last_error, created_at, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, '', NULL, '', ?7, ?7) "
          "ON CONFLICT (timer_key) DO NOTHING");
      if (!ins) return ins.error();
      ins->Text(1, id)
          .Text(2, t.key)
          .Text(3, t.kind)
          .Time(4, t.due)
          .Text(5, t.payload_json)
          .Text(6, t.owner)
          .Time(7, t.created_at);
      LL_TRY(ins->Run());
    }
    if (db.Changes() == 0) {
      LL_ASSIGN(Timer stored, SelectWhere(db, "timer_key", t.key));
      return ScheduledTimer{std::move(stored), false};
    }
    ScheduledTimer out;
    out.created = true;
    Timer& s = out.timer;
    s.id = std::move(id);
    s.key = t.key;
    s.kind = t.kind;
    s.due = t.due;
    s.payload_json = t.payload_json;
    s.owner = t.owner;
    s.created_at = t.created_at;
    s.updated_at = t.created_at;
    return out;
  });
}

Result<Timer> SqliteTimers::Reschedule(std::string_view key, Time due, Time at) {
  LL_TRY(internal::ValidateTimerName("key", key));
  return conns_->Write(Sync::kFull, "rescheduling a timer", [&](Db& db) -> Result<Timer> {
    auto up = db.Prepare(
        Sql("UPDATE timers SET state = 'pending', due = ?2, attempts = 0, lease_until = NULL, "
            "last_error = '', updated_at = ?3 WHERE timer_key = ?1 RETURNING ",
            kColumns));
    if (!up) return up.error();
    up->Text(1, key).Time(2, due).Time(3, at);
    LL_ASSIGN(auto t, OneRow(*up));
    if (!t) return MakeError(ErrorCode::kNotFound, "no timer with key {}", key);
    return std::move(*t);
  });
}

Result<Timer> SqliteTimers::Cancel(std::string_view key, Time at) {
  LL_TRY(internal::ValidateTimerName("key", key));
  return conns_->Write(Sync::kFull, "cancelling a timer", [&](Db& db) -> Result<Timer> {
    auto up =
        db.Prepare(Sql("UPDATE timers SET state = 'cancelled', lease_until = NULL, updated_at = ?2 "
                       "WHERE timer_key = ?1 AND state IN ('pending', 'claimed') RETURNING ",
                       kColumns));
    if (!up) return up.error();
    up->Text(1, key).Time(2, at);
    LL_ASSIGN(auto t, OneRow(*up));
    if (t) return std::move(*t);
    LL_ASSIGN(Timer stored, SelectWhere(db, "timer_key", key));
    if (stored.state == TimerState::kCancelled) return stored;
    return MakeError(ErrorCode::kFailedPrecondition,
                     "timer {} is {}: only pending or claimed timers can be cancelled", key,
                     TimerStateName(stored.state));
  });
}

Result<std::int64_t> SqliteTimers::CancelOwner(std::string_view owner, Time at) {
  LL_TRY(internal::ValidateTimerName("owner", owner));
  return conns_->Write(Sync::kFull, "cancelling an owner's timers",
                       [&](Db& db) -> Result<std::int64_t> {
                         // "owner <> ''" lets the partial index timers_owner apply.
                         auto up = db.Prepare(
                             "UPDATE timers SET state = 'cancelled', lease_until = NULL, "
                             "updated_at = ?2 WHERE owner = ?1 AND owner <> '' "
                             "AND state IN ('pending', 'claimed')");
                         if (!up) return up.error();
                         up->Text(1, owner).Time(2, at);
                         LL_TRY(up->Run());
                         return db.Changes();
                       });
}

Result<std::vector<Timer>> SqliteTimers::ClaimDue(Time now, std::string_view worker,
                                                  std::chrono::milliseconds lease,
                                                  std::size_t limit,
                                                  std::span<const std::string> kinds) {
  LL_TRY(internal::ValidateClaim(worker, lease, limit));
  std::set<std::string, std::less<>> wanted;
  for (const std::string& k : kinds) {
    LL_TRY(internal::ValidateTimerName("kind", k));
    wanted.insert(k);
  }
  const Time lease_until = now + lease;
  return conns_->Write(
      Sync::kFull, "claiming due timers", [&](Db& db) -> Result<std::vector<Timer>> {
        // (due, pos) of the candidates: each statement yields its earliest `limit`, so the
        // earliest `limit` of their union are among them.
        std::vector<std::pair<std::int64_t, std::int64_t>> found;
        auto collect = [&](const std::string& sql, const std::string* kind) -> core::Status {
          auto sel = db.Prepare(sql);
          if (!sel) return sel.error();
          sel->Time(1, now).Int(2, static_cast<std::int64_t>(limit));
          if (kind) sel->Text(3, *kind);
          while (true) {
            auto row = sel->Step();
            if (!row) return row.error();
            if (!*row) break;
            found.emplace_back(sel->ColInt(1), sel->ColInt(0));
          }
          return core::Ok();
        };
        if (wanted.empty()) {
          LL_TRY(collect(ClaimPendingSql(false), nullptr));
          LL_TRY(collect(ClaimExpiredSql(false), nullptr));
        } else {
          for (const std::string& k : wanted) {
            LL_TRY(collect(ClaimPendingSql(true), &k));
            LL_TRY(collect(ClaimExpiredSql(true), &k));
          }
        }
        std::sort(found.begin(), found.end());
        if (found.size() > limit) found.resize(limit);

        auto up = db.Prepare(
            Sql("UPDATE timers SET state = 'claimed', claimed_by = ?3, lease_until = ?4, "
                "attempts = attempts + 1, updated_at = ?2 WHERE pos = ?1 AND "
                "((state = 'pending' AND due <= ?2) OR (state = 'claimed' AND lease_until <= ?2)) "
                "RETURNING ",
                kColumns));
        if (!up) return up.error();
        std::vector<Timer> out;
        out.reserve(found.size());
        for (const auto& [due, pos] : found) {
          up->Int(1, pos).Time(2, now).Text(3, worker).Time(4, lease_until);
          LL_ASSIGN(auto t, OneRow(*up));
          if (t) out.push_back(std::move(*t));
        }
        return out;
      });
}

template <typename Bind>
Result<Timer> SqliteTimers::ByClaimant(std::string_view doing, std::string_view id,
                                       std::string_view claimant, Time at, std::string_view set_sql,
                                       Bind bind) {
  LL_TRY(internal::ValidateTimerName("timer id", id));
  LL_TRY(internal::ValidateTimerName("claimant", claimant));
  std::string sql =
      Sql(Sql("UPDATE timers SET ", set_sql, ", lease_until = NULL, updated_at = ?3 "),
          "WHERE id = ?1 AND state = 'claimed' AND claimed_by = ?2 RETURNING ", kColumns);
  return conns_->Write(Sync::kFull, doing, [&](Db& db) -> Result<Timer> {
    auto up = db.Prepare(sql);
    if (!up) return up.error();
    up->Text(1, id).Text(2, claimant).Time(3, at);
    bind(*up);
    LL_ASSIGN(auto t, OneRow(*up));
    if (!t) return NotClaimedBy(db, id, claimant);
    return std::move(*t);
  });
}

Result<Timer> SqliteTimers::Complete(std::string_view id, std::string_view claimant, Time at) {
  return ByClaimant("completing a timer", id, claimant, at, "state = 'done', last_error = ''",
                    [](Stmt&) {});
}

Result<Timer> SqliteTimers::Fail(std::string_view id, std::string_view claimant,
                                 std::string_view error, std::optional<Time> retry_at, Time at) {
  std::string cut = internal::CutTimerError(error);
  return ByClaimant("recording a failed timer", id, claimant, at,
                    "state = CASE WHEN ?4 IS NULL THEN 'failed' ELSE 'pending' END, "
                    "due = coalesce(?4, due), last_error = ?5",
                    [&](Stmt& s) { s.OptTime(4, retry_at).Text(5, cut); });
}

Result<Timer> SqliteTimers::Release(std::string_view id, std::string_view claimant, Time at) {
  return ByClaimant("releasing a timer", id, claimant, at,
                    "state = 'pending', attempts = max(attempts - 1, 0)", [](Stmt&) {});
}

Result<Timer> SqliteTimers::Get(std::string_view key) {
  return conns_->Read("reading a timer",
                      [&](Db& db) -> Result<Timer> { return SelectWhere(db, "timer_key", key); });
}

Result<std::vector<Timer>> SqliteTimers::List(const TimerQuery& q) {
  LL_TRY(internal::ValidateTimerQuery(q));
  std::string sql = TimerListSql(q);
  return conns_->Read("listing timers", [&](Db& db) -> Result<std::vector<Timer>> {
    auto sel = db.Prepare(sql);
    if (!sel) return sel.error();
    if (q.state) sel->Text(1, TimerStateName(*q.state));
    if (!q.kind.empty()) sel->Text(2, q.kind);
    if (!q.owner.empty()) sel->Text(3, q.owner);
    if (q.due_before) sel->Time(4, *q.due_before);
    sel->Int(5, static_cast<std::int64_t>(q.limit));
    std::vector<Timer> out;
    while (true) {
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back(TimerFromRow(*sel));
    }
    return out;
  });
}

Result<std::optional<Time>> SqliteTimers::NextDue(std::span<const std::string> kinds) {
  std::set<std::string, std::less<>> wanted(kinds.begin(), kinds.end());
  return conns_->Read("finding the next due timer", [&](Db& db) -> Result<std::optional<Time>> {
    std::optional<Time> next;
    auto earliest = [&](const std::string& sql, const std::string* kind) -> core::Status {
      auto sel = db.Prepare(sql);
      if (!sel) return sel.error();
      if (kind) sel->Text(1, *kind);
      auto row = sel->Step();
      if (!row) return row.error();
      if (!*row) return core::Ok();
      std::optional<Time> t = sel->ColOptTime(0);
      LL_TRY(sel->Run());
      if (t && (!next || *t < *next)) next = t;
      return core::Ok();
    };
    if (wanted.empty()) {
      LL_TRY(earliest(NextPendingSql(false), nullptr));
      LL_TRY(earliest(NextExpiredSql(false), nullptr));
    } else {
      for (const std::string& k : wanted) {
        LL_TRY(earliest(NextPendingSql(true), &k));
        LL_TRY(earliest(NextExpiredSql(true), &k));
      }
    }
    return next;
  });
}

Result<std::int64_t> SqliteTimers::PruneFinal(Time before) {
  return conns_->Write(Sync::kNormal, "pruning old timers", [&](Db& db) -> Result<std::int64_t> {
    auto del = db.Prepare(
        "DELETE FROM timers WHERE state IN ('done', 'cancelled', 'failed') AND updated_at < ?1");
    if (!del) return del.error();
    del->Time(1, before);
    LL_TRY(del->Run());
    return db.Changes();
  });
}

}  // namespace

// The literal state terms select the indexes timers_state_due (every kind) and
// timers_kind_state_due (one kind), which give pending timers in (due, pos) order: no sort, and a
// claim reads only the rows it takes. Expired leases are searched among the claimed timers, which
// are few (the batches workers hold right now).
std::string ClaimPendingSql(bool by_kind) {
  return by_kind ? "SELECT pos, due FROM timers WHERE kind = ?3 AND state = 'pending' "
                   "AND due <= ?1 ORDER BY due, pos LIMIT ?2"
                 : "SELECT pos, due FROM timers WHERE state = 'pending' AND due <= ?1 "
                   "ORDER BY due, pos LIMIT ?2";
}

std::string ClaimExpiredSql(bool by_kind) {
  return by_kind ? "SELECT pos, due FROM timers WHERE kind = ?3 AND state = 'claimed' "
                   "AND lease_until <= ?1 ORDER BY due, pos LIMIT ?2"
                 : "SELECT pos, due FROM timers WHERE state = 'claimed' AND lease_until <= ?1 "
                   "ORDER BY due, pos LIMIT ?2";
}

std::string NextPendingSql(bool by_kind) {
  return by_kind ? "SELECT due FROM timers WHERE kind = ?1 AND state = 'pending' "
                   "ORDER BY due LIMIT 1"
                 : "SELECT due FROM timers WHERE state = 'pending' ORDER BY due LIMIT 1";
}

std::string NextExpiredSql(bool by_kind) {
  return by_kind ? "SELECT min(lease_until) FROM timers WHERE kind = ?1 AND state = 'claimed'"
                 : "SELECT min(lease_until) FROM timers WHERE state = 'claimed'";
}

std::string TimerListSql(const TimerQuery& q) {
  // One statement text per filter combination (each cached once), so SQLite plans each with the
  // index that matches it; "owner <> ''" lets the partial index timers_owner apply.
  std::string sql = Sql("SELECT ", kColumns, " FROM timers WHERE 1");
  if (q.state) sql += " AND state = ?1";
  if (!q.kind.empty()) sql += " AND kind = ?2";
  if (!q.owner.empty()) sql += " AND owner = ?3 AND owner <> ''";
  if (q.due_before) sql += " AND due <= ?4";
  sql += " ORDER BY due, pos LIMIT ?5";
  return sql;
}

std::unique_ptr<TimerStore> NewSqliteTimers(Connections* conns) {
  return std::make_unique<SqliteTimers>(conns);
}

}  // namespace lifeline::store::sqlite
