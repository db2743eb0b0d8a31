// The SQLite playbook store (store/playbook.h): its SQL lives in playbook.cc, beside outbox.cc
// and timers.cc, on the same writer and reader connections.
#pragma once

#include <memory>

#include "store/playbook.h"
#include "store/sqlite/conns.h"

namespace lifeline::store::sqlite {

// `conns` must outlive the result (the SqliteStore owns both).
std::unique_ptr<PlaybookStore> NewSqlitePlaybook(Connections* conns);

}  // namespace lifeline::store::sqlite
