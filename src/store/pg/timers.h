// The PostgreSQL timer store (store/timers.h): its SQL lives in timers.cc, on the store's pool.
//
// Several instances on one database: ClaimDue selects due timers (pending and due, or claimed with
// a lease that ran out) with FOR UPDATE SKIP LOCKED and claims them in the same statement, so
// instances claiming at once take disjoint timers without waiting for each other, and a timer is
// held by one worker at a time: it fires once across instances while its worker lives. The claim
// row carries the lease (claimed_by, lease_until): when a worker dies or stalls past its lease,
// another instance claims the timer again (at least once, as timers.h says: handlers are
// idempotent by the timer's key), and the late worker's Complete/Fail/Release is refused because
// claimed_by changed. Times are the callers' (the store reads no clock), so instances need clocks
// in step to within a small fraction of the lease.
#pragma once

#include <memory>
#include <string>

#include "store/pg/conn.h"
#include "store/timers.h"

namespace lifeline::store::pg {

// `pool` must outlive the result (the PgStore owns both).
std::unique_ptr<TimerStore> NewPgTimers(Pool* pool);

}  // namespace lifeline::store::pg
