// SQLite-only check of migration 0009 (the outbox's media column): a message row written without
// it — as every row stored before the migration was — reads back with no media.
#include <sqlite3.h>

#include <gtest/gtest.h>

#include "core/temp_dir.h"
#include "store/store.h"

namespace lifeline::store {
namespace {

TEST(SqliteOutboxMedia, RowsWrittenBeforeTheMediaColumnReadAsNoMedia) {
  lifeline::testing::TempDir dir("outbox-media");
  std::string path = dir.path() + "/lifeline.db";
  {
    auto s = OpenSqlite(path);
    ASSERT_TRUE(s.ok()) << s.error().ToString();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // The INSERT of schema 2's writer: no media column.
  const char* insert =
      "INSERT INTO messages (id, idempotency_key, channel, contact, recipient, subject, text, "
      "html, incident_id, state, attempts, next_attempt_at, created_at, updated_at, remote_id, "
      "last_reason, route, last_seq) VALUES ('msg_old', 'old-key', 'team-telegram', '', '', '', "
      "'an old message', '', '', 'queued', 0, 1795773600000, 1795773600000, 1795773600000, '', "
      "'', '', 1)";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, insert, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_close(db);

  auto s = OpenSqlite(path);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  auto m = (*s)->Outbox().FindByKey("old-key");
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->text, "an old message");
  EXPECT_TRUE(m->media.empty());
}

}  // namespace
}  // namespace lifeline::store
