-- Lifeline store, PostgreSQL schema 1: what store.h's Store itself keeps (probe samples and their
-- minutes, platform state, incidents and their timelines, crowd reports typed and measured, API
-- tokens, status pages). Times are bigint milliseconds since the Unix epoch, UTC, as in SQLite (no
-- dialect time types). JSON columns hold text the store validated before writing. schema_version
-- is created by the migration runner itself, not here.

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- Raw probe results, kept 48 h by default.
CREATE TABLE probe_samples (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform    text    NOT NULL,
  probe_id    text    NOT NULL,
  vantage     text    NOT NULL,  -- ProbeResult::from: "here" or a vantage point's name
  at          bigint  NOT NULL,
  ok          boolean NOT NULL,
  layer       text    NOT NULL,
  detail      text    NOT NULL,
  total_ms    double precision,
  http_status integer NOT NULL
);
CREATE INDEX probe_samples_platform_at ON probe_samples (platform, at);
CREATE INDEX probe_samples_at ON probe_samples (at);

-- One-minute aggregates of probe_samples, kept 90 days by default.
CREATE TABLE probe_minutes (
  platform      text   NOT NULL,
  minute        bigint NOT NULL,  -- start of the minute
  probe_id      text   NOT NULL,
  vantage       text   NOT NULL,
  count         bigint NOT NULL,
  ok_count      bigint NOT NULL,
  latency_count bigint NOT NULL,
  latency_min   double precision,
  latency_p50   double precision,
  latency_p95   double precision,
  latency_p99   double precision,
  latency_max   double precision,
  PRIMARY KEY (platform, minute, probe_id, vantage)
);
CREATE INDEX probe_minutes_minute ON probe_minutes (minute);

CREATE TABLE platform_states (
  platform   text PRIMARY KEY,
  verdict    text             NOT NULL,
  layer      text             NOT NULL,
  detail     text             NOT NULL,
  confidence double precision NOT NULL,
  reason     text             NOT NULL,
  evidence   text             NOT NULL,
  updated_at bigint           NOT NULL
);

CREATE TABLE incidents (
  id         text PRIMARY KEY,
  kind       text    NOT NULL CHECK (kind IN ('platform', 'domain', 'flapping')),
  domain     text    NOT NULL,
  verdict    text    NOT NULL,
  state      text    NOT NULL CHECK (state IN ('open', 'closed')),
  title      text    NOT NULL,
  opened_at  bigint  NOT NULL,
  updated_at bigint  NOT NULL,
  closed_at  bigint,
  last_seq   bigint  NOT NULL DEFAULT 0,  -- the seq of the newest event
  -- A drill (`lifeline drill`): listings leave it out unless asked (IncidentQuery::drills).
  drill      boolean NOT NULL DEFAULT false
);
CREATE INDEX incidents_state_opened ON incidents (state, opened_at, id);

CREATE TABLE incident_platforms (
  incident_id text    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  position    integer NOT NULL,
  platform    text    NOT NULL,
  PRIMARY KEY (incident_id, position)
);
CREATE INDEX incident_platforms_platform ON incident_platforms (platform);

-- The append-only timeline of an incident.
CREATE TABLE incident_events (
  incident_id text   NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  seq         bigint NOT NULL,
  at          bigint NOT NULL,
  type        text   NOT NULL,
  message     text   NOT NULL,
  data        text   NOT NULL,
  PRIMARY KEY (incident_id, seq)
);

-- Crowd reports; hour (the start of at's UTC hour) makes "one report per client per platform
-- per hour" a constraint the database enforces.
CREATE TABLE crowd_reports (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform   text   NOT NULL,
  kind       text   NOT NULL,
  client_key text   NOT NULL,
  at         bigint NOT NULL,
  hour       bigint NOT NULL,
  UNIQUE (platform, client_key, hour)
);
CREATE INDEX crowd_reports_platform_at ON crowd_reports (platform, at);
CREATE INDEX crowd_reports_at ON crowd_reports (at);

-- Measured crowd reports (store/device_reports.h). The failing ones count towards the crowd
-- spike with the typed ones (Store::CountReports reads them), so the table is part of the Store's
-- own schema even while the DeviceReports slice is not written for PostgreSQL yet.
CREATE TABLE device_reports (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  platform       text    NOT NULL,
  device_key     text    NOT NULL,  -- Store::ClientKey() of the page's device id
  address_key    text    NOT NULL,  -- Store::ClientKey() of the sender's address
  at             bigint  NOT NULL,
  hour           bigint  NOT NULL,
  reached        boolean NOT NULL,  -- any of the platform's device probes
  controls_ok    integer NOT NULL CHECK (controls_ok >= 0),
  controls_total integer NOT NULL CHECK (controls_total >= controls_ok),
  best_ms        double precision,  -- the fastest probe of the platform that completed
  connection     text    NOT NULL,  -- navigator.connection.type: wifi, cellular, ... or ''
  effective_type text    NOT NULL,  -- navigator.connection.effectiveType: 4g, 3g, ... or ''
  UNIQUE (platform, device_key, hour)
);
CREATE INDEX device_reports_platform_at ON device_reports (platform, at);
CREATE INDEX device_reports_at ON device_reports (at);
CREATE INDEX device_reports_address ON device_reports (address_key, platform, hour);

-- API tokens: only the SHA-256 of the secret is stored.
CREATE TABLE api_tokens (
  id           text PRIMARY KEY,
  name         text   NOT NULL,
  role         text   NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash         text   NOT NULL UNIQUE,
  created_at   bigint NOT NULL,
  revoked_at   bigint,
  last_used_at bigint
);
-- An active name is unique, so `token revoke NAME` is unambiguous; revoked names may be reused.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;

CREATE TABLE status_pages (
  platform    text PRIMARY KEY,
  indicator   text   NOT NULL,
  description text   NOT NULL,
  fetched_at  bigint NOT NULL,
  raw         text   NOT NULL
);
