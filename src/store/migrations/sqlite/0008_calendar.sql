-- Lifeline store, SQLite schema 8: the content calendar (src/store/calendar.h). Scheduled posts
-- and, per post, one part per target channel with its own state, due time, hold and relay
-- message. Times are integer milliseconds since the Unix epoch, UTC; '' stands for "none" in text.

CREATE TABLE calendar_posts (
  id         TEXT    PRIMARY KEY,
  text       TEXT    NOT NULL,
  media_json TEXT    NOT NULL,  -- a JSON array of links
  at         INTEGER NOT NULL,
  expires    INTEGER,
  state      TEXT    NOT NULL CHECK (state IN ('scheduled', 'held', 'publishing', 'published',
                                               'failed', 'dropped')),
  source     TEXT    NOT NULL,
  by_whom    TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX calendar_posts_at ON calendar_posts (at, id);
CREATE INDEX calendar_posts_state ON calendar_posts (state, at);

CREATE TABLE calendar_parts (
  post_id      TEXT    NOT NULL,
  channel      TEXT    NOT NULL,
  position     INTEGER NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('scheduled', 'held', 'queued', 'published',
                                                 'failed', 'dropped')),
  due          INTEGER NOT NULL,
  held_by      TEXT    NOT NULL,
  hand_hold    TEXT    NOT NULL,
  incident_id  TEXT    NOT NULL,
  generation   INTEGER NOT NULL,
  message_key  TEXT    NOT NULL,
  message_id   TEXT    NOT NULL,
  remote_id    TEXT    NOT NULL,
  note         TEXT    NOT NULL,
  published_at INTEGER,
  updated_at   INTEGER NOT NULL,
  PRIMARY KEY (post_id, channel)
);
-- The calendar's looks: a channel's parts by due time (free slots, held parts), an incident's
-- held parts, the part a relay message belongs to.
CREATE INDEX calendar_parts_channel ON calendar_parts (channel, due);
CREATE INDEX calendar_parts_state ON calendar_parts (state, due);
CREATE INDEX calendar_parts_held ON calendar_parts (held_by) WHERE held_by <> '';
CREATE INDEX calendar_parts_key ON calendar_parts (message_key) WHERE message_key <> '';
