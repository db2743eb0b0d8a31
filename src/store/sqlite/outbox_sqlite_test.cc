// SQLite-only outbox checks: every listing and claim statement is served by an index, so a page
// or a claim costs the same with a million stored messages as with ten (outbox.h's promise).
#include <sqlite3.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "store/sqlite/outbox.h"
#include "store/store.h"

namespace lifeline::store {
namespace {

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

TEST(SqliteOutbox, EveryListingAndClaimUsesAnIndex) {
  lifeline::testing::TempDir dir("outbox-plan");
  std::string path = dir.path() + "/lifeline.db";
  {
    auto s = OpenSqlite(path);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);

  for (bool contact_only : {false, true}) {
    std::string plan = Plan(db, sqlite::ClaimSql(contact_only));
    EXPECT_THAT(plan, ::testing::HasSubstr(contact_only ? "INDEX messages_due_contact ("
                                                        : "INDEX messages_due ("))
        << plan;
    EXPECT_THAT(plan, ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))) << plan;
  }

  // Every combination of filters, with and without a cursor.
  for (int mask = 0; mask < 16; ++mask) {
    MessageQuery q;
    if (mask & 1) q.state = MessageState::kQueued;
    if (mask & 2) q.channel = "tg";
    if (mask & 4) q.incident_id = "inc_1";
    if (mask & 8) q.contact = "ana";
    for (bool after : {false, true}) {
      std::string plan = Plan(db, sqlite::ListSql(q, after));
      SCOPED_TRACE(sqlite::ListSql(q, after));
      EXPECT_THAT(plan, ::testing::Not(::testing::HasSubstr("TEMP B-TREE"))) << plan;
      if (mask == 0) {
        // No filter: the table in rowid order, newest first; LIMIT stops it after one page.
        EXPECT_THAT(plan, ::testing::HasSubstr("messages")) << plan;
      } else {
        EXPECT_THAT(plan, ::testing::HasSubstr("SEARCH messages USING INDEX")) << plan;
      }
    }
  }
  sqlite3_close(db);
}

}  // namespace
}  // namespace lifeline::store
