// The SQLite listening store (store/listening.h): its SQL lives in listening.cc, on the store's
// writer and reader connections.
#pragma once

#include <memory>

#include "store/listening.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<ListeningStore> NewSqliteListening(Connections* conns);

}  // namespace lifeline::store::sqlite
