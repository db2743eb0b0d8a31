// The PostgreSQL timer store (store/timers.h): all of its SQL. Every write is one transaction on
// the store's pool, committed with synchronous_commit on (Sync::kFull), so a scheduled timer and
// every claim and outcome survive a server crash and power loss.
#include "store/pg/timers.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/common.h"
#include "store/timers_common.h"

namespace lifeline::store::pg {
namespace {

using core::ErrorCode;
using core::MakeError;
using core::Result;
using Sync = Pool::Sync;

// The columns TimerFromRow reads, in its order; pos last (the tie-break of equal due times).
constexpr std::string_view kColumns =
    "id, timer_key, kind, due, payload, owner, state, attempts, claimed_by, lease_until, "
    "last_error, created_at, updated_at, pos";
constexpr int kPosColumn = 13;

Timer TimerFromRow(const Row& r) {
  Timer t;
  t.id = r.ColText(0);
  t.key = r.ColText(1);
  t.kind = r.ColText(2);
  t.due = r.ColTime(3);
  t.payload_json = r.ColText(4);
  t.owner = r.ColText(5);
  t.state = ParseTimerState(r.ColText(6)).value_or(TimerState::kPending);
  t.attempts = static_cast<int>(r.ColInt(7));
  t.claimed_by = r.ColText(8);
  t.lease_until = r.ColOptTime(9);
  t.last_error = r.ColText(10);
  t.created_at = r.ColTime(11);
  t.updated_at = r.ColTime(12);
  return t;
}

Result<Timer> SelectWhere(Conn& c, std::string_view column, std::string_view value) {
  LL_ASSIGN(Rows r,
            c.Exec(Cat(Cat("SELECT ", kColumns, " FROM timers WHERE "), column, " = $1::text"),
                   Params().Text(value), "reading a timer"));
  if (r.empty()) {
    return MakeError(ErrorCode::kNotFound, "no timer with {} {}", column == "id" ? "id" : "key",
                     value);
  }
  return TimerFromRow(r[0]);
}

// The refusal for a claimant that no longer holds timer `id` (or kNotFound).
core::Error NotClaimedBy(Conn& c, std::string_view id, std::string_view claimant) {
  auto t = SelectWhere(c, "id", id);
  if (!t) return t.error();
  if (t->state == TimerState::kClaimed) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "timer {} is claimed by {}: the lease of {} ran out", t->key, t->claimed_by,
                     claimant);
  }
  return MakeError(ErrorCode::kFailedPrecondition, "timer {} is {}, no longer claimed by {}",
                   t->key, TimerStateName(t->state), claimant);
}

// " AND kind IN ($n, ...)" for `kinds` (nothing when empty), adding them to `p`.
std::string KindTerm(const std::set<std::string, std::less<>>& kinds, Params& p) {
  if (kinds.empty()) return "";
  std::string term = " AND kind IN (";
  bool first = true;
  for (const std::string& k : kinds) {
    p.Text(k);
    term += fmt::format("{}${}::text", first ? "" : ", ", p.size());
    first = false;
  }
  return term + ")";
}

class PgTimers final : public TimerStore {
 public:
  explicit PgTimers(Pool* pool) : pool_(pool) {}

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
  // Applies `set_sql` (with $3 = at and what `extra` adds from $4) to timer `id` if it is still
  // claimed by `claimant` (the row lock of the UPDATE makes the check and the change one step);
  // otherwise the refusal.
  Result<Timer> ByClaimant(std::string_view doing, std::string_view id, std::string_view claimant,
                           Time at, std::string_view set_sql, Params extra);

  Pool* pool_;  // owned by the PgStore; its own mutex guards the idle sessions
};

Result<ScheduledTimer> PgTimers::Schedule(const NewTimer& t) {
  LL_TRY(ValidateNewTimer(t));
  // Drawn before the transaction (RAND_bytes is not worth holding a session for).
  LL_ASSIGN(std::string id, internal::NewId("tmr_", t.created_at));
  return pool_->Write(Sync::kFull, "scheduling a timer", [&](Conn& c) -> Result<ScheduledTimer> {
    // A concurrent Schedule of the same key (another instance) makes this insert wait for it and
    // then do nothing: the first one wins across instances too.
    LL_ASSIGN(Rows ins,
              c.Exec("INSERT INTO timers (id, timer_key, kind, due, payload, owner, state, "
                     "attempts, claimed_by, lease_until, last_error, created_at, updated_at) "
                     "VALUES ($1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text, "
                     "'pending', 0, '', NULL, '', $7::bigint, $7::bigint) "
                     "ON CONFLICT (timer_key) DO NOTHING",
                     Params()
                         .Text(id)
                         .Text(t.key)
                         .Text(t.kind)
                         .Time(t.due)
                         .Text(t.payload_json)
                         .Text(t.owner)
                         .Time(t.created_at),
                     "scheduling a timer"));
    if (ins.affected() == 0) {
      LL_ASSIGN(Timer stored, SelectWhere(c, "timer_key", t.key));
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

Result<Timer> PgTimers::Reschedule(std::string_view key, Time due, Time at) {
  LL_TRY(internal::ValidateTimerName("key", key));
  return pool_->Write(Sync::kFull, "rescheduling a timer", [&](Conn& c) -> Result<Timer> {
    LL_ASSIGN(Rows r,
              c.Exec(Cat("UPDATE timers SET state = 'pending', due = $2::bigint, attempts = 0, "
                         "lease_until = NULL, last_error = '', updated_at = $3::bigint "
                         "WHERE timer_key = $1::text RETURNING ",
                         kColumns),
                     Params().Text(key).Time(due).Time(at), "rescheduling a timer"));
    if (r.empty()) return MakeError(ErrorCode::kNotFound, "no timer with key {}", key);
    return TimerFromRow(r[0]);
  });
}

Result<Timer> PgTimers::Cancel(std::string_view key, Time at) {
  LL_TRY(internal::ValidateTimerName("key", key));
  return pool_->Write(Sync::kFull, "cancelling a timer", [&](Conn& c) -> Result<Timer> {
    LL_ASSIGN(Rows r, c.Exec(Cat("UPDATE timers SET state = 'cancelled', lease_until = NULL, "
                                 "updated_at = $2::bigint WHERE timer_key = $1::text "
                                 "AND state IN ('pending', 'claimed') RETURNING ",
                                 kColumns),
                             Params().Text(key).Time(at), "cancelling a timer"));
    if (!r.empty()) return TimerFromRow(r[0]);
    LL_ASSIGN(Timer stored, SelectWhere(c, "timer_key", key));
    if (stored.state == TimerState::kCancelled) return stored;
    return MakeError(ErrorCode::kFailedPrecondition,
                     "timer {} is {}: only pending or claimed timers can be cancelled", key,
                     TimerStateName(stored.state));
  });
}

Result<std::int64_t> PgTimers::CancelOwner(std::string_view owner, Time at) {
  LL_TRY(internal::ValidateTimerName("owner", owner));
  return pool_->Write(
      Sync::kFull, "cancelling an owner's timers", [&](Conn& c) -> Result<std::int64_t> {
        // "owner <> ''" lets the partial index timers_owner apply.
        LL_ASSIGN(Rows r, c.Exec("UPDATE timers SET state = 'cancelled', lease_until = "
                                 "NULL, updated_at = $2::bigint WHERE owner = $1::text "
                                 "AND owner <> '' AND state IN ('pending', 'claimed')",
                                 Params().Text(owner).Time(at), "cancelling an owner's timers"));
        return r.affected();
      });
}

Result<std::vector<Timer>> PgTimers::ClaimDue(Time now, std::string_view worker,
                                              std::chrono::milliseconds lease, std::size_t limit,
                                              std::span<const std::string> kinds) {
  LL_TRY(internal::ValidateClaim(worker, lease, limit));
  std::set<std::string, std::less<>> wanted;
  for (const std::string& k : kinds) {
    LL_TRY(internal::ValidateTimerName("kind", k));
    wanted.insert(k);
  }
  Params p;
  p.Time(now).Int(static_cast<std::int64_t>(limit)).Text(worker).Time(now + lease);
  std::string kind_term = KindTerm(wanted, p);
  // Candidates are locked as they are found, skipping rows another transaction holds (another
  // instance claiming them right now): LIMIT counts only rows this claim got, so a busy neighbour
  // never makes a claim come back short while other timers are due. The UPDATE then takes them
  // in the same statement.
  std::string sql = Cat(Cat("WITH c AS (SELECT pos AS c_pos FROM timers WHERE "
                            "((state = 'pending' AND due <= $1::bigint) OR "
                            "(state = 'claimed' AND lease_until <= $1::bigint))",
                            kind_term,
                            " ORDER BY due, pos LIMIT $2::bigint FOR UPDATE SKIP LOCKED) "
                            "UPDATE timers SET state = 'claimed', claimed_by = $3::text, "
                            "lease_until = $4::bigint, attempts = attempts + 1, "
                            "updated_at = $1::bigint FROM c WHERE pos = c.c_pos RETURNING "),
                        kColumns);
  return pool_->Write(Sync::kFull, "claiming due timers",
                      [&](Conn& c) -> Result<std::vector<Timer>> {
                        LL_ASSIGN(Rows r, c.Exec(sql, p, "claiming due timers"));
                        std::vector<std::pair<std::pair<std::int64_t, std::int64_t>, Timer>> got;
                        got.reserve(static_cast<std::size_t>(r.size()));
                        for (int i = 0; i < r.size(); ++i) {
                          Timer t = TimerFromRow(r[i]);
                          got.push_back({{ToMillis(t.due), r[i].ColInt(kPosColumn)}, std::move(t)});
                        }
                        // RETURNING has no order: earliest due first, ties in scheduling order.
                        std::sort(got.begin(), got.end(),
                                  [](const auto& a, const auto& b) { return a.first < b.first; });
                        std::vector<Timer> out;
                        out.reserve(got.size());
                        for (auto& g : got) out.push_back(std::move(g.second));
                        return out;
                      });
}

Result<Timer> PgTimers::ByClaimant(std::string_view doing, std::string_view id,
                                   std::string_view claimant, Time at, std::string_view set_sql,
                                   Params extra) {
  LL_TRY(internal::ValidateTimerName("timer id", id));
  LL_TRY(internal::ValidateTimerName("claimant", claimant));
  std::string sql =
      Cat(Cat("UPDATE timers SET ", set_sql, ", lease_until = NULL, updated_at = $3::bigint "),
          "WHERE id = $1::text AND state = 'claimed' AND claimed_by = $2::text "
          "RETURNING ",
          kColumns);
  Params p;
  p.Text(id).Text(claimant).Time(at);
  for (const auto& v : extra.values()) {
    if (v) {
      p.Text(*v);
    } else {
      p.Null();
    }
  }
  return pool_->Write(Sync::kFull, doing, [&](Conn& c) -> Result<Timer> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, doing));
    if (r.empty()) return NotClaimedBy(c, id, claimant);
    return TimerFromRow(r[0]);
  });
}

Result<Timer> PgTimers::Complete(std::string_view id, std::string_view claimant, Time at) {
  return ByClaimant("completing a timer", id, claimant, at, "state = 'done', last_error = ''",
                    Params());
}

Result<Timer> PgTimers::Fail(std::string_view id, std::string_view claimant, std::string_view error,
                             std::optional<Time> retry_at, Time at) {
  std::string cut = internal::CutTimerError(error);
  return ByClaimant("recording a failed timer", id, claimant, at,
                    "state = CASE WHEN $4::bigint IS NULL THEN 'failed' ELSE 'pending' END, "
                    "due = coalesce($4::bigint, due), last_error = $5::text",
                    Params().OptTime(retry_at).Text(cut));
}

Result<Timer> PgTimers::Release(std::string_view id, std::string_view claimant, Time at) {
  return ByClaimant("releasing a timer", id, claimant, at,
                    "state = 'pending', attempts = greatest(attempts - 1, 0)", Params());
}

Result<Timer> PgTimers::Get(std::string_view key) {
  return pool_->Read("reading a timer",
                     [&](Conn& c) -> Result<Timer> { return SelectWhere(c, "timer_key", key); });
}

Result<std::vector<Timer>> PgTimers::List(const TimerQuery& q) {
  LL_TRY(internal::ValidateTimerQuery(q));
  // One statement text per filter combination, each with only the parameters it uses.
  std::string sql = Cat("SELECT ", kColumns, " FROM timers WHERE true");
  Params p;
  if (q.state) {
    p.Text(TimerStateName(*q.state));
    sql += fmt::format(" AND state = ${}::text", p.size());
  }
  if (!q.kind.empty()) {
    p.Text(q.kind);
    sql += fmt::format(" AND kind = ${}::text", p.size());
  }
  if (!q.owner.empty()) {
    p.Text(q.owner);
    sql += fmt::format(" AND owner = ${}::text AND owner <> ''", p.size());
  }
  if (q.due_before) {
    p.Time(*q.due_before);
    sql += fmt::format(" AND due <= ${}::bigint", p.size());
  }
  p.Int(static_cast<std::int64_t>(q.limit));
  sql += fmt::format(" ORDER BY due, pos LIMIT ${}::bigint", p.size());
  return pool_->Read("listing timers", [&](Conn& c) -> Result<std::vector<Timer>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "listing timers"));
    std::vector<Timer> out;
    for (int i = 0; i < r.size(); ++i) out.push_back(TimerFromRow(r[i]));
    return out;
  });
}

Result<std::optional<Time>> PgTimers::NextDue(std::span<const std::string> kinds) {
  std::set<std::string, std::less<>> wanted(kinds.begin(), kinds.end());
  Params p;
  std::string kind_term = KindTerm(wanted, p);
  std::string sql = Cat(Cat("SELECT least((SELECT min(due) FROM timers WHERE state = 'pending'",
                            kind_term, "), (SELECT min(lease_until) FROM timers "),
                        Cat("WHERE state = 'claimed'", kind_term, "))"));
  return pool_->Read("finding the next due timer", [&](Conn& c) -> Result<std::optional<Time>> {
    LL_ASSIGN(Rows r, c.Exec(sql, p, "finding the next due timer"));
    return r[0].ColOptTime(0);
  });
}

Result<std::int64_t> PgTimers::PruneFinal(Time before) {
  return pool_->Write(Sync::kNormal, "pruning old timers", [&](Conn& c) -> Result<std::int64_t> {
    LL_ASSIGN(Rows r, c.Exec("DELETE FROM timers WHERE state IN ('done', 'cancelled', 'failed') "
                             "AND updated_at < $1::bigint",
                             Params().Time(before), "pruning old timers"));
    return r.affected();
  });
}

}  // namespace

std::unique_ptr<TimerStore> NewPgTimers(Pool* pool) { return std::make_unique<PgTimers>(pool); }

}  // namespace lifeline::store::pg
