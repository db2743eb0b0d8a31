// SQLite-only timer checks: the claim and next-due statements, and the listings by state and by
// owner, are served by an index, so scheduling and claiming stay cheap with many timers stored.
#include <sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "store/sqlite/timers.h"
#include "store/store.h"

namespace lifeline::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The plan SQLite picks for `sql`, one detail line per step.
std::string Plan(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  std::string text = "EXPLAIN QUERY PLAN " + sql;
  if (sqlite3_prepare_v2(db, text.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    return std::string("prepare failed: ") + sqlite3_errmsg(db);
  }
  std::string out;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    out += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3));
    out += "\n";
  }
  sqlite3_finalize(stmt);
  return out;
}

TEST(SqliteTimers, ClaimsAndNextDueUseAnIndex) {
  lifeline::testing::TempDir dir("timers-plan");
  std::string path = dir.path() + "/lifeline.db";
  {
    auto s = OpenSqlite(path);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);

  struct Case {
    std::string sql;
    std::string index;
    bool sorted;  // no TEMP B-TREE: the index gives the order
  };
  const Case cases[] = {
      {sqlite::ClaimPendingSql(false), "INDEX timers_state_due (state=? AND due<?)", true},
      {sqlite::ClaimPendingSql(true), "INDEX timers_kind_state_due (kind=? AND state=? AND due<?)",
       true},
      // Expired leases among the claimed timers (few: the batches workers hold).
      {sqlite::ClaimExpiredSql(false), "INDEX timers_state_due (state=?)", true},
      {sqlite::ClaimExpiredSql(true), "INDEX timers_kind_state_due (kind=? AND state=?)", true},
      {sqlite::NextPendingSql(false), "INDEX timers_state_due (state=?)", true},
      {sqlite::NextPendingSql(true), "INDEX timers_kind_state_due (kind=? AND state=?)", true},
      {sqlite::NextExpiredSql(false), "INDEX timers_state_due (state=?)", true},
      {sqlite::NextExpiredSql(true), "INDEX timers_kind_state_due (kind=? AND state=?)", true},
      {sqlite::TimerListSql({.state = TimerState::kPending}), "INDEX timers_state_due (state=?)",
       true},
      {sqlite::TimerListSql({.state = TimerState::kPending, .due_before = Time{}}),
       "INDEX timers_state_due (state=? AND due<?)", true},
      {sqlite::TimerListSql({.owner = "inc_1"}), "INDEX timers_owner (owner=?)", true},
      {sqlite::TimerListSql({.state = TimerState::kPending, .kind = "k"}),
       "INDEX timers_kind_state_due (kind=? AND state=?)", true},
  };
  for (const Case& c : cases) {
    std::string plan = Plan(db, c.sql);
    SCOPED_TRACE(c.sql);
    EXPECT_THAT(plan, HasSubstr(c.index)) << plan;
    if (c.sorted) {
      EXPECT_THAT(plan, Not(HasSubstr("TEMP B-TREE"))) << plan;
    }
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace lifeline::store
