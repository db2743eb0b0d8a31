// The PostgreSQL playbook store (store/playbook.h): its SQL lives in playbook.cc, on the store's
// pool.
//
// Several instances on one database: every check of a current state and the change that depends
// on it happen under the row's lock (MoveLifecycle and MoveAssignment and RecordEscalation lock
// the row with SELECT ... FOR UPDATE first; EndRun and UseLinkToken are conditional UPDATEs), so
// two instances acting on one incident or one assignment apply one move after the other and the
// second sees the first's result: a link token is used once, a run ends once, an assignment moves
// only from the state it was checked in. Creations (OpenLifecycle, StartRun, CreateAssignment,
// AddLinkToken) are idempotent inserts (ON CONFLICT DO NOTHING): the first one wins everywhere.
#pragma once

#include <memory>

#include "store/pg/conn.h"
#include "store/playbook.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<PlaybookStore> NewPgPlaybook(Pool* pool);

}  // namespace lifeline::store::pg
