// The PostgreSQL listening store (store/listening.h): its SQL lives in listening.cc, on the store's
// pool.
//
// Several instances on one database: a post is one row under its key; AddPosts inserts it with
// ON CONFLICT DO NOTHING and otherwise locks the stored row (FOR UPDATE) before it changes its
// time or share count, so two instances storing the same post at once take turns on that row and
// its links and counts stay exact (a link is counted by the one insert that created it). A batch
// locks its posts in key order, so batches sharing posts do not deadlock on them.
#pragma once

#include <memory>

#include "store/listening.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<ListeningStore> NewPgListening(Pool* pool);

}  // namespace lifeline::store::pg
