// The PostgreSQL ads-guard store (store/ads.h): its SQL lives in ads.cc, on the store's pool.
//
// Several instances on one database: Record and RecordTransfer are idempotent inserts on the
// change's and the transfer's key (ON CONFLICT DO NOTHING, then the stored row), so a campaign's
// prior state is recorded once per incident even when two instances pause it at once, and the
// second learns it was not first. Update and UpdateTransfer are single statements by id (last
// writer wins, as with one writer in SQLite). Calls get their ids from a sequence: ListCalls pages
// by id, so a reader paging while another instance records calls may see a lower id commit after
// a higher one it already read.
#pragma once

#include <memory>

#include "store/ads.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<AdsStore> NewPgAds(Pool* pool);

}  // namespace lifeline::store::pg
