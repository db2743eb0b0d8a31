// The PostgreSQL outbox (store/outbox.h): its SQL lives in outbox.cc, on the store's pool.
//
// Several instances on one database: ClaimDue (and Step's claims) select due messages with
// FOR UPDATE SKIP LOCKED and move them to `sending` in the same statement, so two relays claiming
// at once take disjoint messages (neither waits for the other's rows, and no message is handed to
// both): a message is never sent twice because two instances saw it due. Update applies only to
// messages still in `sending`. RecoverAfterCrash still assumes one relay per database, as
// outbox.h says: it resolves every message in `sending`, including another live relay's (claims
// carry no owner or lease yet).
#pragma once

#include <memory>

#include "store/outbox.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<OutboxStore> NewPgOutbox(Pool* pool);

// The claim statement (one channel, $1 channel, $2 now, $3 limit), exposed for a test that checks
// its plan and its behaviour under concurrent claimers.
std::string ClaimSql(bool contact_only);

}  // namespace lifeline::store::pg
