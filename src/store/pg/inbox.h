// The PostgreSQL inbox store (store/inbox.h): its SQL lives in inbox.cc, on the store's pool.
//
// Several instances on one database, as when two webhooks of one new customer reach two
// instances: the first mapping of (channel, address) to a contact wins (a primary key; the loser's
// insert waits for it and then reads it), the contact's conversation is created once (a unique
// contact; the loser reads the winner's) and then locked (FOR UPDATE) for the rest of the
// transaction, so every message of a conversation updates it in turn from the latest row; and a
// message is stored once per (platform, platform_id): an instance that finds it stored meanwhile
// rolls back and answers as for a retry. IngestAsync and ApplyStatusAsync run on the slice's own
// worker thread, not the caller's; destroying the slice finishes what was queued first.
#pragma once

#include <memory>

#include "store/inbox.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<InboxStore> NewPgInbox(Pool* pool);

}  // namespace lifeline::store::pg
