-- Lifeline store, SQLite schema 5: measured crowd reports (src/store/device_reports.h), sent by the
-- dashboard's device check from a person's own browser. Kept apart from typed reports
-- (crowd_reports); the failing ones count towards the crowd spike with them. Times are integer
-- milliseconds since the Unix epoch, UTC; '' stands for "not told" in text columns.

-- hour (the start of at's UTC hour) makes "one report per device per platform per hour" a
-- constraint the database enforces, as crowd_reports does per client address.
CREATE TABLE device_reports (
  id             INTEGER PRIMARY KEY,
  platform       TEXT    NOT NULL,
  device_key     TEXT    NOT NULL,  -- Store::ClientKey() of the page's device id
  address_key    TEXT    NOT NULL,  -- Store::ClientKey() of the sender's address
  at             INTEGER NOT NULL,
  hour           INTEGER NOT NULL,
  reached        INTEGER NOT NULL CHECK (reached IN (0, 1)),  -- any of the platform's device probes
  controls_ok    INTEGER NOT NULL CHECK (controls_ok >= 0),
  controls_total INTEGER NOT NULL CHECK (controls_total >= controls_ok),
  best_ms        REAL,  -- the fastest probe of the platform that completed; NULL when none did
  connection     TEXT    NOT NULL,  -- navigator.connection.type: wifi, cellular, ... or ''
  effective_type TEXT    NOT NULL,  -- navigator.connection.effectiveType: 4g, 3g, ... or ''
  UNIQUE (platform, device_key, hour)
);
CREATE INDEX device_reports_platform_at ON device_reports (platform, at);
CREATE INDEX device_reports_at ON device_reports (at);
-- The per-address cap: reports of one address for one platform in one hour.
CREATE INDEX device_reports_address ON device_reports (address_key, platform, hour);
