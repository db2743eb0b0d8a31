-- Lifeline store, SQLite schema 7: the ads guard (src/store/ads.h). Every campaign Lifeline
-- changed, with its state before the change, and every call made to an ad platform with its
-- answer. Times are integer milliseconds since the Unix epoch, UTC; '' stands for "none" in text.

CREATE TABLE ads_changes (
  id                  INTEGER PRIMARY KEY,
  incident_id         TEXT    NOT NULL,  -- '' for a pause by hand outside incidents
  account             TEXT    NOT NULL,  -- ads.accounts NAME
  platform            TEXT    NOT NULL,  -- meta | google | tiktok
  campaign_id         TEXT    NOT NULL,
  campaign_name       TEXT    NOT NULL,
  policy              TEXT    NOT NULL,
  by_whom             TEXT    NOT NULL,
  state               TEXT    NOT NULL CHECK (state IN ('pausing', 'paused', 'resuming', 'resumed',
                                                        'kept', 'failed', 'dry_run')),
  prior_status        TEXT    NOT NULL,
  prior_effective     TEXT    NOT NULL,
  prior_budget_micros INTEGER,
  prior_budget_kind   TEXT    NOT NULL,
  currency            TEXT    NOT NULL,
  prior_updated       TEXT    NOT NULL,
  marker              TEXT    NOT NULL,
  note                TEXT    NOT NULL,
  paused_at           INTEGER,
  resume_due          INTEGER,
  resumed_at          INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL,
  UNIQUE (incident_id, account, campaign_id)
);
-- The guard's look at what is still to do (open states are few).
CREATE INDEX ads_changes_open ON ads_changes (state)
  WHERE state IN ('pausing', 'paused', 'resuming');
CREATE INDEX ads_changes_campaign ON ads_changes (account, campaign_id);

CREATE TABLE ads_calls (
  id          INTEGER PRIMARY KEY,
  incident_id TEXT    NOT NULL,
  account     TEXT    NOT NULL,
  op          TEXT    NOT NULL,
  method      TEXT    NOT NULL,
  path        TEXT    NOT NULL,
  request     TEXT    NOT NULL,
  status      INTEGER NOT NULL,
  answer      TEXT    NOT NULL,
  usage       TEXT    NOT NULL,
  took_ms     INTEGER NOT NULL,
  failure     TEXT    NOT NULL,
  at          INTEGER NOT NULL
);
CREATE INDEX ads_calls_incident ON ads_calls (incident_id, id);
