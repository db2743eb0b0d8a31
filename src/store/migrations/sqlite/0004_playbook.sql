-- Lifeline store, SQLite schema 4: the contingency plan's state (src/store/playbook.h): each
-- incident's lifecycle and its transitions, the responses run for it and their steps, the
-- assignments people act on, and acknowledgement link tokens. Times are integer milliseconds
-- since the Unix epoch, UTC; '' stands for "none" in text columns. No foreign keys to incidents:
-- like the outbox's messages and the timers, this record outlives a deleted incident.

CREATE TABLE playbook_lifecycles (
  incident_id      TEXT    PRIMARY KEY,
  state            TEXT    NOT NULL CHECK (state IN ('detected', 'acknowledged', 'mitigating',
                     'monitoring', 'resolved', 'reviewed')),
  platforms        TEXT    NOT NULL,  -- JSON array of platform ids
  monitor_round    INTEGER NOT NULL,
  relapse_incident TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) WITHOUT ROWID;
-- The engine looks for incidents in monitoring or back in mitigating after a relapse.
CREATE INDEX playbook_lifecycles_state ON playbook_lifecycles (state, created_at);

CREATE TABLE playbook_transitions (
  incident_id TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  from_state  TEXT    NOT NULL,  -- '' for the first
  to_state    TEXT    NOT NULL,
  by_whom     TEXT    NOT NULL,
  note        TEXT    NOT NULL,
  at          INTEGER NOT NULL,
  PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID;

-- One row per response started for an incident. pos is the creation order.
CREATE TABLE playbook_runs (
  pos         INTEGER PRIMARY KEY,
  incident_id TEXT    NOT NULL,
  response    TEXT    NOT NULL,
  state       TEXT    NOT NULL CHECK (state IN ('running', 'stopped', 'finished')),
  reason      TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  ended_at    INTEGER,
  UNIQUE (incident_id, response),
  CHECK ((ended_at IS NULL) = (state = 'running'))
);
-- Runs left running, found again at start-up.
CREATE INDEX playbook_runs_state ON playbook_runs (state, pos);

CREATE TABLE playbook_steps (
  incident_id TEXT    NOT NULL,
  response    TEXT    NOT NULL,
  step_id     TEXT    NOT NULL,
  pos         INTEGER NOT NULL,  -- order of first record within the incident
  state       TEXT    NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed',
                'skipped', 'waiting')),
  attempts    INTEGER NOT NULL,
  last_error  TEXT    NOT NULL,
  note        TEXT    NOT NULL,
  started_at  INTEGER,
  ended_at    INTEGER,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (incident_id, response, step_id)
) WITHOUT ROWID;

CREATE TABLE playbook_assignments (
  pos              INTEGER PRIMARY KEY,
  id               TEXT    NOT NULL UNIQUE,
  assignment_key   TEXT    NOT NULL UNIQUE,  -- CreateAssignment is idempotent by it
  incident_id      TEXT    NOT NULL,
  response         TEXT    NOT NULL,
  step_id          TEXT    NOT NULL,
  kind             TEXT    NOT NULL CHECK (kind IN ('task', 'approval', 'notification')),
  title            TEXT    NOT NULL,
  role             TEXT    NOT NULL,
  assignee         TEXT    NOT NULL,
  notified         TEXT    NOT NULL,  -- JSON array of team ids
  escalation       TEXT    NOT NULL,
  escalation_level INTEGER NOT NULL,
  state            TEXT    NOT NULL CHECK (state IN ('open', 'acknowledged', 'done', 'approved',
                     'refused', 'expired')),
  acknowledged_by  TEXT    NOT NULL,
  acknowledged_at  INTEGER,
  ended_by         TEXT    NOT NULL,
  ended_at         INTEGER,
  note             TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- An incident's assignments (its console), and the open ones across incidents.
CREATE INDEX playbook_assignments_incident ON playbook_assignments (incident_id, pos);
CREATE INDEX playbook_assignments_state ON playbook_assignments (state, pos);

-- Acknowledgement link tokens: only their SHA-256 is kept.
CREATE TABLE playbook_links (
  hash          TEXT    PRIMARY KEY,
  purpose       TEXT    NOT NULL,
  assignment_id TEXT    NOT NULL,
  person        TEXT    NOT NULL,
  signature     TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  used_at       INTEGER
) WITHOUT ROWID;
