-- Lifeline store, PostgreSQL schema 3: durable timers (src/store/timers.h), the work due later
-- that the scheduler runs (escalations, approval timeouts, settle times, held posts). Times are
-- bigint milliseconds since the Unix epoch, UTC; '' stands for "none" in text columns.

-- One row per timer. pos is the scheduling order: the tie-break between timers due at the same
-- millisecond.
CREATE TABLE timers (
  pos         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id          text    NOT NULL UNIQUE,
  timer_key   text    NOT NULL UNIQUE,  -- Schedule is idempotent by it
  kind        text    NOT NULL,
  due         bigint  NOT NULL,
  payload     text    NOT NULL,  -- JSON the store validated
  -- No foreign key: an owner is usually an incident but need not be one.
  owner       text    NOT NULL,
  state       text    NOT NULL CHECK (state IN ('pending', 'claimed', 'done', 'cancelled',
                'failed')),
  attempts    integer NOT NULL,
  claimed_by  text    NOT NULL,  -- the worker of the last claim
  lease_until bigint,
  last_error  text    NOT NULL,
  created_at  bigint  NOT NULL,
  updated_at  bigint  NOT NULL,
  -- A lease exists exactly while a worker holds the timer.
  CHECK ((lease_until IS NOT NULL) = (state = 'claimed'))
);
-- Claims of every kind, the next due time, listings by state: earliest due first.
CREATE INDEX timers_state_due ON timers (state, due, pos);
-- The same for the kinds a worker has handlers for.
CREATE INDEX timers_kind_state_due ON timers (kind, state, due, pos);
-- Expired leases are searched among the claimed timers (few: the batches workers hold now).
CREATE INDEX timers_claimed_lease ON timers (lease_until) WHERE state = 'claimed';
-- An incident's timers, for listing and cancelling them.
CREATE INDEX timers_owner ON timers (owner, due) WHERE owner <> '';
