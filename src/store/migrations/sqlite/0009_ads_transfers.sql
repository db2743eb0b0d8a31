-- Lifeline store: the ads guard's budget transfers (src/store/ads.h AdTransfer). The daily budget
-- of urgent campaigns paused for an incident, added to a campaign on another platform for the
-- outage and moved back after; one row per (incident, transfer), with the receiving campaign's
-- budget before and after, so a restart neither moves twice nor forgets to move back.
CREATE TABLE ads_transfers (
  id                     INTEGER PRIMARY KEY,
  incident_id            TEXT    NOT NULL,
  name                   TEXT    NOT NULL,  -- ads.transfers NAME
  from_account           TEXT    NOT NULL,
  campaigns_json         TEXT    NOT NULL,  -- the paused urgent campaigns, a JSON array
  to_account             TEXT    NOT NULL,
  to_campaign            TEXT    NOT NULL,
  to_campaign_name       TEXT    NOT NULL,
  currency               TEXT    NOT NULL,
  amount_micros          INTEGER NOT NULL,
  state                  TEXT    NOT NULL CHECK (state IN ('proposed', 'approved', 'moved',
                                                           'returned', 'refused', 'expired',
                                                           'skipped', 'failed', 'dry_run')),
  by_whom                TEXT    NOT NULL,
  decided_by             TEXT    NOT NULL,
  prior_budget_micros    INTEGER,
  set_budget_micros      INTEGER,
  returned_budget_micros INTEGER,
  note                   TEXT    NOT NULL,
  moved_at               INTEGER,
  return_due             INTEGER,
  returned_at            INTEGER,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  UNIQUE (incident_id, name)
);
CREATE INDEX ads_transfers_open ON ads_transfers (state)
  WHERE state IN ('proposed', 'approved', 'moved');
