// The SQLite outbox (store/outbox.h): its SQL lives in outbox.cc, beside sqlite_store.cc, on the
// same writer and reader connections.
#pragma once

#include <memory>
#include <string>

#include "store/outbox.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<OutboxStore> NewSqliteOutbox(Connections* conns);

// The statements behind List and ClaimDue, exposed so a test can check with EXPLAIN QUERY PLAN
// that each one is served by an index (a page must cost the same with a million rows).
std::string ListSql(const MessageQuery& query, bool after_cursor);
std::string ClaimSql(bool contact_only);

}  // namespace lifeline::store::sqlite
