-- Lifeline store, PostgreSQL schema 6: the content calendar (src/store/calendar.h). Scheduled
-- posts and, per post, one part per target channel with its own state, due time, hold, relay
-- message and verification (SQLite's schemas 8, 11 and 12). Times are bigint milliseconds since
-- the Unix epoch, UTC; '' stands for "none" in text columns. Posts are never deleted: a cancelled
-- one is kept with who cancelled it and when.

CREATE TABLE calendar_posts (
  id           text   PRIMARY KEY,
  text         text   NOT NULL,
  media_json   text   NOT NULL,  -- a JSON array of links
  at           bigint NOT NULL,
  expires      bigint,
  state        text   NOT NULL CHECK (state IN ('scheduled', 'held', 'publishing', 'published',
                                                'failed', 'dropped', 'cancelled')),
  source       text   NOT NULL,
  by_whom      text   NOT NULL,
  created_at   bigint NOT NULL,
  updated_at   bigint NOT NULL,
  edited_by    text   NOT NULL,  -- who changed it last ('' = never edited)
  edited_at    bigint,
  cancelled_by text   NOT NULL,  -- who cancelled it ('' = not cancelled)
  cancelled_at bigint
);
CREATE INDEX calendar_posts_at ON calendar_posts (at, id);
CREATE INDEX calendar_posts_state ON calendar_posts (state, at);

-- A post's parts are replaced only while its calendar_posts row is locked (Update), so two
-- instances editing one post at once apply one edit after the other.
CREATE TABLE calendar_parts (
  post_id      text    NOT NULL REFERENCES calendar_posts (id),
  channel      text    NOT NULL,
  position     integer NOT NULL,
  state        text    NOT NULL CHECK (state IN ('scheduled', 'held', 'queued', 'published',
                                                 'failed', 'dropped', 'cancelled')),
  due          bigint  NOT NULL,
  held_by      text    NOT NULL,
  hand_hold    text    NOT NULL,
  incident_id  text    NOT NULL,
  generation   integer NOT NULL,
  message_key  text    NOT NULL,
  message_id   text    NOT NULL,
  remote_id    text    NOT NULL,
  note         text    NOT NULL,
  published_at bigint,
  updated_at   bigint  NOT NULL,
  -- What the platform said when Lifeline looked the published post up: '' (not yet), present,
  -- missing, unknown, unsupported; with a note for people and when it looked.
  verified     text    NOT NULL,
  verify_note  text    NOT NULL,
  verified_at  bigint,
  PRIMARY KEY (post_id, channel)
);
-- The calendar's looks: a channel's parts by due time (free slots, held parts), an incident's
-- held parts, the part a relay message belongs to.
CREATE INDEX calendar_parts_channel ON calendar_parts (channel, due);
CREATE INDEX calendar_parts_state ON calendar_parts (state, due);
CREATE INDEX calendar_parts_held ON calendar_parts (held_by) WHERE held_by <> '';
CREATE INDEX calendar_parts_key ON calendar_parts (message_key) WHERE message_key <> '';
