// The PostgreSQL content-calendar store (store/calendar.h): its SQL lives in calendar.cc, on the
// store's pool.
//
// Several instances on one database: Add inserts each post with ON CONFLICT DO NOTHING, so of two
// instances adding the same id at once one stores it and the other gets kAlreadyExists with its
// whole batch rolled back (all or none, as with one writer). Update changes the post's row first
// and replaces its parts while holding that row's lock, so two updates of one post apply one after
// the other, never interleaving their parts.
#pragma once

#include <memory>

#include "store/calendar.h"
#include "store/pg/conn.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<CalendarStore> NewPgCalendar(Pool* pool);

}  // namespace lifeline::store::pg
