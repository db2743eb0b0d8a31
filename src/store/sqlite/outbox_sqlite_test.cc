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

namespace lifeline::store {
namespace {

// A backlog of a million messages (a channel down for hours): prints how long a page of each
// listing, a claim and the counts take. Not a unit test (slow to fill, timing): run with
// --gtest_also_run_disabled_tests --gtest_filter='*Million*'.
TEST(SqliteOutbox, DISABLED_AMillionMessagesStillPageFast) {
  lifeline::testing::TempDir dir("outbox-million");
  std::string path = dir.path() + "/lifeline.db";
  auto st = OpenSqlite(path);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    auto start = std::chrono::steady_clock::now();
    // 1,000,000 queued messages: 80% on one channel that is down, the rest spread.
    const char* fill =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
        "INSERT INTO messages (id, idempotency_key, channel, contact, recipient, subject, text, "
        "html, incident_id, state, attempts, next_attempt_at, created_at, updated_at, remote_id, "
        "last_reason, route, last_seq) SELECT printf('msg_%08d', i), printf('k%08d', i), "
        "CASE WHEN i % 5 = 0 THEN 'tg' ELSE 'wa' END, CASE WHEN i % 7 = 0 THEN 'ana' ELSE '' END, "
        "'', '', 'Instagram is down; reach us on Telegram', '', "
        "CASE WHEN i % 100 = 0 THEN 'inc_1' ELSE '' END, 'queued', 0, 1795773600000 + i, "
        "1795773600000 + i, 1795773600000 + i, '', '', '', 1 FROM n";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, fill, nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
    fmt::print("filled in {:.1f} s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  OutboxStore& o = (*st)->Outbox();
  auto timed = [](std::string_view what, auto fn) {
    auto start = std::chrono::steady_clock::now();
    fn();
    fmt::print("{}: {:.2f} ms\n", what,
               std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                   .count());
  };
  std::string cursor;
  timed("first page", [&] { cursor = o.List({.limit = 50})->next_cursor; });
  timed("tenth page", [&] {
    for (int i = 0; i < 9; ++i) cursor = o.List({.limit = 50, .cursor = cursor})->next_cursor;
  });
  timed("page of tg",
        [&] { EXPECT_EQ(o.List({.channel = "tg", .limit = 50})->messages.size(), 50u); });
  timed("page of queued on wa", [&] {
    EXPECT_EQ(o.List({.state = MessageState::kQueued, .channel = "wa"})->messages.size(), 50u);
  });
  timed("page of failed (none)",
        [&] { EXPECT_TRUE(o.List({.state = MessageState::kFailed})->messages.empty()); });
  timed("page of an incident",
        [&] { EXPECT_EQ(o.List({.incident_id = "inc_1"})->messages.size(), 50u); });
  timed("page of a contact", [&] { EXPECT_EQ(o.List({.contact = "ana"})->messages.size(), 50u); });
  timed("counts", [&] { EXPECT_EQ(o.Counts()->size(), 2u); });
  timed("claim 256 of tg", [&] {
    EXPECT_EQ(
        o.ClaimDue(FromMillis(1'795'774'600'000), std::vector<ClaimRequest>{{"tg", 256, false}})
            ->size(),
        256u);
  });
  timed("next due on wa (contacts only)", [&] { EXPECT_TRUE(o.NextDue("wa", true)->has_value()); });
}

}  // namespace
}  // namespace lifeline::store
