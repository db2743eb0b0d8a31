-- Lifeline store, SQLite schema 11: editing and cancelling calendar posts (src/store/calendar.h).
-- A cancelled post is kept, not deleted: its parts that had not gone out become 'cancelled' and
-- the post records who cancelled it and when; the post also records its last edit. SQLite cannot
-- change a CHECK constraint in place, so both tables are rebuilt with 'cancelled' allowed.

CREATE TABLE calendar_posts_new (
  id           TEXT    PRIMARY KEY,
  text         TEXT    NOT NULL,
  media_json   TEXT    NOT NULL,  -- a JSON array of links
  at           INTEGER NOT NULL,
  expires      INTEGER,
  state        TEXT    NOT NULL CHECK (state IN ('scheduled', 'held', 'publishing', 'published',
                                                 'failed', 'dropped', 'cancelled')),
  source       TEXT    NOT NULL,
  by_whom      TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  edited_by    TEXT    NOT NULL DEFAULT '',  -- who changed it last ('' = never edited)
  edited_at    INTEGER,
  cancelled_by TEXT    NOT NULL DEFAULT '',  -- who cancelled it ('' = not cancelled)
  cancelled_at INTEGER
);
INSERT INTO calendar_posts_new (id, text, media_json, at, expires, state, source, by_whom,
                                created_at, updated_at)
  SELECT id, text, media_json, at, expires, state, source, by_whom, created_at, updated_at
  FROM calendar_posts;
DROP TABLE calendar_posts;
ALTER TABLE calendar_posts_new RENAME TO calendar_posts;
CREATE INDEX calendar_posts_at ON calendar_posts (at, id);
CREATE INDEX calendar_posts_state ON calendar_posts (state, at);

CREATE TABLE calendar_parts_new (
  post_id      TEXT    NOT NULL,
  channel      TEXT    NOT NULL,
  position     INTEGER NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('scheduled', 'held', 'queued', 'published',
                                                 'failed', 'dropped', 'cancelled')),
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
INSERT INTO calendar_parts_new SELECT post_id, channel, position, state, due, held_by, hand_hold,
  incident_id, generation, message_key, message_id, remote_id, note, published_at, updated_at
  FROM calendar_parts;
DROP TABLE calendar_parts;
ALTER TABLE calendar_parts_new RENAME TO calendar_parts;
CREATE INDEX calendar_parts_channel ON calendar_parts (channel, due);
CREATE INDEX calendar_parts_state ON calendar_parts (state, due);
CREATE INDEX calendar_parts_held ON calendar_parts (held_by) WHERE held_by <> '';
CREATE INDEX calendar_parts_key ON calendar_parts (message_key) WHERE message_key <> '';
