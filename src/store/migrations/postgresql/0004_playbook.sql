-- Lifeline store, PostgreSQL schema 4: the contingency plan's state (src/store/playbook.h): each
-- incident's lifecycle and its transitions, the responses run for it and their steps, the
-- assignments people act on, and acknowledgement link tokens. Times are bigint milliseconds since
-- the Unix epoch, UTC; '' stands for "none" in text columns. No foreign keys to incidents: like
-- the outbox's messages and the timers, this record outlives a deleted incident. (Drills, SQLite's
-- schema 6, are incidents.drill in schema 1 here.)

CREATE TABLE playbook_lifecycles (
  incident_id      text    PRIMARY KEY,
  state            text    NOT NULL CHECK (state IN ('detected', 'acknowledged', 'mitigating',
                     'monitoring', 'resolved', 'reviewed')),
  platforms        text    NOT NULL,  -- JSON array of platform ids
  monitor_round    integer NOT NULL,
  relapse_incident text    NOT NULL,
  created_at       bigint  NOT NULL,
  updated_at       bigint  NOT NULL
);
-- The engine looks for incidents in monitoring or back in mitigating after a relapse.
CREATE INDEX playbook_lifecycles_state ON playbook_lifecycles (state, created_at);

-- Appended to only while the lifecycle's row is locked (MoveLifecycle) or by the transaction that
-- inserted it (OpenLifecycle), so max(seq) + 1 is free.
CREATE TABLE playbook_transitions (
  incident_id text   NOT NULL REFERENCES playbook_lifecycles (incident_id),
  seq         bigint NOT NULL,
  from_state  text   NOT NULL,  -- '' for the first
  to_state    text   NOT NULL,
  by_whom     text   NOT NULL,
  note        text   NOT NULL,
  at          bigint NOT NULL,
  PRIMARY KEY (incident_id, seq)
);

-- One row per response started for an incident. pos is the creation order.
CREATE TABLE playbook_runs (
  pos         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id text   NOT NULL,
  response    text   NOT NULL,
  state       text   NOT NULL CHECK (state IN ('running', 'stopped', 'finished')),
  reason      text   NOT NULL,
  started_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  ended_at    bigint,
  UNIQUE (incident_id, response),
  CHECK ((ended_at IS NULL) = (state = 'running'))
);
-- Runs left running, found again at start-up.
CREATE INDEX playbook_runs_state ON playbook_runs (state, pos);

-- pos orders an incident's steps by their first record: drawn from one sequence (an identity), so
-- instances recording steps of one incident at once never draw the same; a replacement keeps it.
CREATE TABLE playbook_steps (
  incident_id text    NOT NULL,
  response    text    NOT NULL,
  step_id     text    NOT NULL,
  pos         bigint  GENERATED ALWAYS AS IDENTITY,
  state       text    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed',
                'skipped', 'waiting')),
  attempts    integer NOT NULL,
  last_error  text    NOT NULL,
  note        text    NOT NULL,
  started_at  bigint,
  ended_at    bigint,
  updated_at  bigint  NOT NULL,
  PRIMARY KEY (incident_id, response, step_id)
);

CREATE TABLE playbook_assignments (
  pos              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               text    NOT NULL UNIQUE,
  assignment_key   text    NOT NULL UNIQUE,  -- CreateAssignment is idempotent by it
  incident_id      text    NOT NULL,
  response         text    NOT NULL,
  step_id          text    NOT NULL,
  kind             text    NOT NULL CHECK (kind IN ('task', 'approval', 'notification')),
  title            text    NOT NULL,
  role             text    NOT NULL,
  assignee         text    NOT NULL,
  notified         text    NOT NULL,  -- JSON array of team ids
  escalation       text    NOT NULL,
  escalation_level integer NOT NULL,
  state            text    NOT NULL CHECK (state IN ('open', 'acknowledged', 'done', 'approved',
                     'refused', 'expired')),
  acknowledged_by  text    NOT NULL,
  acknowledged_at  bigint,
  ended_by         text    NOT NULL,
  ended_at         bigint,
  note             text    NOT NULL,
  created_at       bigint  NOT NULL,
  updated_at       bigint  NOT NULL
);
-- An incident's assignments (its console), and the open ones across incidents.
CREATE INDEX playbook_assignments_incident ON playbook_assignments (incident_id, pos);
CREATE INDEX playbook_assignments_state ON playbook_assignments (state, pos);

-- Acknowledgement link tokens: only their SHA-256 is kept.
CREATE TABLE playbook_links (
  hash          text   PRIMARY KEY,
  purpose       text   NOT NULL,
  assignment_id text   NOT NULL,
  person        text   NOT NULL,
  signature     text   NOT NULL,
  created_at    bigint NOT NULL,
  expires_at    bigint NOT NULL,
  used_at       bigint
);
