-- Lifeline store, SQLite schema 3: durable timers (src/store/timers.h), the work due later that
-- one scheduler runs (escalations, approval timeouts, settle times, held posts). Times are integer
-- milliseconds since the Unix epoch, UTC; '' stands for "none" in text columns.

-- One row per timer. pos is the scheduling order: the tie-break between timers due at the same
-- millisecond, and the rowid every index ends in.
CREATE TABLE timers (
  pos         INTEGER PRIMARY KEY,
  id          TEXT    NOT NULL UNIQUE,
  timer_key   TEXT    NOT NULL UNIQUE,  -- Schedule is idempotent by it
  kind        TEXT    NOT NULL,
  due         INTEGER NOT NULL,
  payload     TEXT    NOT NULL,  -- JSON the store validated
  -- No foreign key: an owner is usually an incident but need not be one, and a timer's record
  -- outlives a deleted incident like the outbox's messages do.
  owner       TEXT    NOT NULL,
  state       TEXT    NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'cancelled',
                'failed')),
  attempts    INTEGER NOT NULL,
  claimed_by  TEXT    NOT NULL,  -- the worker of the last claim
  lease_until INTEGER,
  last_error  TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  -- A lease exists exactly while a worker holds the timer.
  CHECK ((lease_until IS NOT NULL) = (state = 'claimed'))
);
-- Claims of every kind, the next due time, listings by state: earliest due first. Claimed timers
-- whose worker died are found among the claimed ones (few: a worker holds a batch at a time).
CREATE INDEX timers_state_due ON timers (state, due);
-- The same for the kinds a worker has handlers for.
CREATE INDEX timers_kind_state_due ON timers (kind, state, due);
-- An incident's timers, for listing and cancelling them.
CREATE INDEX timers_owner ON timers (owner, due) WHERE owner <> '';
