// The SQLite inbox store (store/inbox.h): its SQL lives in inbox.cc, on the store's writer and
// reader connections.
#pragma once

#include <memory>

#include "store/inbox.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<InboxStore> NewSqliteInbox(Connections* conns);

}  // namespace lifeline::store::sqlite
