// The SQLite timer store (store/timers.h): its SQL lives in timers.cc, beside outbox.cc, on the
// same writer and reader connections.
#pragma once

#include <memory>
#include <string>

#include "store/sqlite/conns.h"
#include "store/timers.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<TimerStore> NewSqliteTimers(Connections* conns);

// The statements behind ClaimDue, NextDue and List, exposed so a test can check with EXPLAIN
// QUERY PLAN that each one is served by an index (claims must stay cheap with many timers).
// `by_kind`: the statement for one kind (?3) rather than every kind.
std::string ClaimPendingSql(bool by_kind);
std::string ClaimExpiredSql(bool by_kind);
std::string NextPendingSql(bool by_kind);
std::string NextExpiredSql(bool by_kind);
std::string TimerListSql(const TimerQuery& query);

}  // namespace lifeline::store::sqlite
