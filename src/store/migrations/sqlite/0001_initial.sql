-- Lifeline store, SQLite schema 1. Times are integer milliseconds since the Unix epoch, UTC.
-- JSON columns hold text the store validated before writing. schema_version is created by the
-- migration runner itself, not here.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Raw probe results, kept 48 h by default.
CREATE TABLE probe_samples (
  id          INTEGER PRIMARY KEY,
  platform    TEXT    NOT NULL,
  probe_id    TEXT    NOT NULL,
  vantage     TEXT    NOT NULL,  -- ProbeResult::from: "here" or a vantage point's name
  at          INTEGER NOT NULL,
  ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
  layer       TEXT    NOT NULL,
  detail      TEXT    NOT NULL,
  total_ms    REAL,
  http_status INTEGER NOT NULL
);
CREATE INDEX probe_samples_platform_at ON probe_samples (platform, at);
CREATE INDEX probe_samples_at ON probe_samples (at);

-- One-minute aggregates of probe_samples, kept 90 days by default.
CREATE TABLE probe_minutes (
  platform      TEXT    NOT NULL,
  minute        INTEGER NOT NULL,  -- start of the minute
  probe_id      TEXT    NOT NULL,
  vantage       TEXT    NOT NULL,
  count         INTEGER NOT NULL,
  ok_count      INTEGER NOT NULL,
  latency_count INTEGER NOT NULL,
  latency_min   REAL,
  latency_p50   REAL,
  latency_p95   REAL,
  latency_p99   REAL,
  latency_max   REAL,
  PRIMARY KEY (platform, minute, probe_id, vantage)
) WITHOUT ROWID;
CREATE INDEX probe_minutes_minute ON probe_minutes (minute);

CREATE TABLE platform_states (
  platform   TEXT PRIMARY KEY,
  verdict    TEXT    NOT NULL,
  layer      TEXT    NOT NULL,
  detail     TEXT    NOT NULL,
  confidence REAL    NOT NULL,
  reason     TEXT    NOT NULL,
  evidence   TEXT    NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE incidents (
  id         TEXT PRIMARY KEY,
  kind       TEXT    NOT NULL CHECK (kind IN ('platform', 'domain', 'flapping')),
  domain     TEXT    NOT NULL,
  verdict    TEXT    NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('open', 'closed')),
  title      TEXT    NOT NULL,
  opened_at  INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at  INTEGER,
  last_seq   INTEGER NOT NULL DEFAULT 0  -- the seq of the newest event
);
CREATE INDEX incidents_state_opened ON incidents (state, opened_at, id);

CREATE TABLE incident_platforms (
  incident_id TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  position    INTEGER NOT NULL,
  platform    TEXT    NOT NULL,
  PRIMARY KEY (incident_id, position)
) WITHOUT ROWID;
CREATE INDEX incident_platforms_platform ON incident_platforms (platform);

-- The append-only timeline of an incident.
CREATE TABLE incident_events (
  incident_id TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  type        TEXT    NOT NULL,
  message     TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  PRIMARY KEY (incident_id, seq)
) WITHOUT ROWID;

-- Crowd reports; hour (the start of at's UTC hour) makes "one report per client per platform
-- per hour" a constraint the database enforces.
CREATE TABLE crowd_reports (
  id         INTEGER PRIMARY KEY,
  platform   TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  client_key TEXT    NOT NULL,
  at         INTEGER NOT NULL,
  hour       INTEGER NOT NULL,
  UNIQUE (platform, client_key, hour)
);
CREATE INDEX crowd_reports_platform_at ON crowd_reports (platform, at);
CREATE INDEX crowd_reports_at ON crowd_reports (at);

-- API tokens: only the SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT    NOT NULL,
  role         TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash         TEXT    NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  last_used_at INTEGER
);
-- An active name is unique, so `token revoke NAME` is unambiguous; revoked names may be reused.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE status_pages (
  platform    TEXT PRIMARY KEY,
  indicator   TEXT    NOT NULL,
  description TEXT    NOT NULL,
  fetched_at  INTEGER NOT NULL,
  raw         TEXT    NOT NULL
) WITHOUT ROWID;
