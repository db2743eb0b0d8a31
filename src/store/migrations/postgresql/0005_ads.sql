-- Lifeline store, PostgreSQL schema 5: the ads guard (src/store/ads.h). Every campaign Lifeline
-- changed, with its state before the change, every call made to an ad platform with its answer,
-- and the budget transfers (SQLite's schemas 7 and 9). Times are bigint milliseconds since the
-- Unix epoch, UTC; '' stands for "none" in text columns.

-- One row per (incident, account, campaign): the guard records a campaign's prior state once per
-- incident, however many instances or restarts run it again.
CREATE TABLE ads_changes (
  id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id         text   NOT NULL,  -- '' for a pause by hand outside incidents
  account             text   NOT NULL,  -- ads.accounts NAME
  platform            text   NOT NULL,  -- meta | google | tiktok
  campaign_id         text   NOT NULL,
  campaign_name       text   NOT NULL,
  policy              text   NOT NULL,
  by_whom             text   NOT NULL,
  state               text   NOT NULL CHECK (state IN ('pausing', 'paused', 'resuming', 'resumed',
                                                       'kept', 'failed', 'dry_run')),
  prior_status        text   NOT NULL,
  prior_effective     text   NOT NULL,
  prior_budget_micros bigint,
  prior_budget_kind   text   NOT NULL,
  currency            text   NOT NULL,
  prior_updated       text   NOT NULL,
  marker              text   NOT NULL,
  note                text   NOT NULL,
  paused_at           bigint,
  resume_due          bigint,
  resumed_at          bigint,
  created_at          bigint NOT NULL,
  updated_at          bigint NOT NULL,
  UNIQUE (incident_id, account, campaign_id)
);
-- The guard's look at what is still to do (open states are few).
CREATE INDEX ads_changes_open ON ads_changes (state)
  WHERE state IN ('pausing', 'paused', 'resuming');
CREATE INDEX ads_changes_campaign ON ads_changes (account, campaign_id);

CREATE TABLE ads_calls (
  id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id text    NOT NULL,
  account     text    NOT NULL,
  op          text    NOT NULL,
  method      text    NOT NULL,
  path        text    NOT NULL,
  request     text    NOT NULL,
  status      integer NOT NULL,
  answer      text    NOT NULL,
  usage       text    NOT NULL,
  took_ms     bigint  NOT NULL,
  failure     text    NOT NULL,
  at          bigint  NOT NULL
);
CREATE INDEX ads_calls_incident ON ads_calls (incident_id, id);

-- The daily budget of urgent campaigns paused for an incident, added to a campaign on another
-- platform for the outage and moved back after; one row per (incident, transfer), with the
-- receiving campaign's budget before and after, so a restart neither moves twice nor forgets to
-- move back.
CREATE TABLE ads_transfers (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id            text   NOT NULL,
  name                   text   NOT NULL,  -- ads.transfers NAME
  from_account           text   NOT NULL,
  campaigns_json         text   NOT NULL,  -- the paused urgent campaigns, a JSON array
  to_account             text   NOT NULL,
  to_campaign            text   NOT NULL,
  to_campaign_name       text   NOT NULL,
  currency               text   NOT NULL,
  amount_micros          bigint NOT NULL,
  state                  text   NOT NULL CHECK (state IN ('proposed', 'approved', 'moved',
                                                          'returned', 'refused', 'expired',
                                                          'skipped', 'failed', 'dry_run')),
  by_whom                text   NOT NULL,
  decided_by             text   NOT NULL,
  prior_budget_micros    bigint,
  set_budget_micros      bigint,
  returned_budget_micros bigint,
  note                   text   NOT NULL,
  moved_at               bigint,
  return_due             bigint,
  returned_at            bigint,
  created_at             bigint NOT NULL,
  updated_at             bigint NOT NULL,
  UNIQUE (incident_id, name)
);
CREATE INDEX ads_transfers_open ON ads_transfers (state)
  WHERE state IN ('proposed', 'approved', 'moved');
