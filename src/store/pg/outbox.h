// The PostgreSQL outbox (store/outbox.h): its SQL lives in outbox.cc, on the store's pool.
//
// Several instances on one database: ClaimDue (and Step's claims) select due messages with
// FOR UPDATE SKIP LOCKED and move them to `sending` in the same statement, so two relays claiming
// at once take disjoint messages (neither waits for the other's rows, and no message is handed to
// both): a message is never sent twice because two instances saw it due. Update applies only to
// messages still in `sending` and claimed by this instance. Claims carry the instance's id
// (ClusterStore::self()): RecoverAfterCrash and RecoverOrphans resolve only the claims of
// instances not alive (no heartbeat within their ttl, cluster.h), so a restarting or surviving
// instance never takes a live one's message from under it.
#pragma once

#include <memory>

#include "store/outbox.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both); `self` is the store's instance id.
std::unique_ptr<OutboxStore> NewPgOutbox(Pool* pool, std::string self);

// The claim statement (one channel, $1 channel, $2 now, $3 limit, $4 claimer), exposed for a test
// that checks its plan and its behaviour under concurrent claimers.
std::string ClaimSql(bool contact_only);

}  // namespace lifeline::store::pg
