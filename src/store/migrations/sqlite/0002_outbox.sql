-- Lifeline store, SQLite schema 2: the relay's durable outbox (src/store/outbox.h). Times are
-- integer milliseconds since the Unix epoch, UTC; '' stands for "none" in text columns.

-- One row per accepted message. pos is the insertion order: the key of the newest-first pages.
-- Messages are large rows (their text), so this is a rowid table: its secondary indexes stay
-- small.
CREATE TABLE messages (
  pos             INTEGER PRIMARY KEY,
  id              TEXT    NOT NULL UNIQUE,
  idempotency_key TEXT    NOT NULL UNIQUE,
  channel         TEXT    NOT NULL,
  contact         TEXT    NOT NULL,
  recipient       TEXT    NOT NULL,
  subject         TEXT    NOT NULL,
  text            TEXT    NOT NULL,
  html            TEXT    NOT NULL,
  -- No foreign key: deleting an incident keeps the record of what was sent for it.
  incident_id     TEXT    NOT NULL,
  state           TEXT    NOT NULL CHECK (state IN ('queued', 'sending', 'delivered',
                    'retry_scheduled', 'unconfirmed', 'failed', 'dead_lettered', 'cancelled')),
  attempts        INTEGER NOT NULL,
  next_attempt_at INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  remote_id       TEXT    NOT NULL,
  last_reason     TEXT    NOT NULL,
  route           TEXT    NOT NULL,
  last_seq        INTEGER NOT NULL,  -- the seq of the newest event
  -- Exactly the waiting messages have a due time, so the due index holds nothing else.
  CHECK ((next_attempt_at IS NOT NULL) = (state IN ('queued', 'retry_scheduled')))
);
-- Claims: per channel, earliest due first; the second serves a channel whose circuit is open,
-- where only messages with a contact (which can fail over) are claimed.
CREATE INDEX messages_due ON messages (channel, next_attempt_at)
  WHERE next_attempt_at IS NOT NULL;
CREATE INDEX messages_due_contact ON messages (channel, next_attempt_at)
  WHERE next_attempt_at IS NOT NULL AND contact <> '';
-- Listing newest first with each filter (every index ends in pos, the rowid).
CREATE INDEX messages_state ON messages (state);
CREATE INDEX messages_channel ON messages (channel);
CREATE INDEX messages_channel_state ON messages (channel, state);
CREATE INDEX messages_incident ON messages (incident_id) WHERE incident_id <> '';
CREATE INDEX messages_contact ON messages (contact) WHERE contact <> '';

-- The append-only timeline of each message.
CREATE TABLE message_events (
  message_id TEXT    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  seq        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  type       TEXT    NOT NULL,
  state      TEXT    NOT NULL,  -- the message's state after the event
  detail     TEXT    NOT NULL,
  answer     TEXT    NOT NULL,  -- the far side's answer, a JSON object
  PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

-- Messages per channel and state, kept by triggers so /metrics never counts a million rows.
CREATE TABLE message_counts (
  channel TEXT    NOT NULL,
  state   TEXT    NOT NULL,
  count   INTEGER NOT NULL,
  PRIMARY KEY (channel, state)
) WITHOUT ROWID;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
  INSERT INTO message_counts (channel, state, count) VALUES (new.channel, new.state, 1)
    ON CONFLICT (channel, state) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER messages_count_update AFTER UPDATE OF channel, state ON messages
  WHEN old.channel <> new.channel OR old.state <> new.state BEGIN
  UPDATE message_counts SET count = count - 1 WHERE channel = old.channel AND state = old.state;
  INSERT INTO message_counts (channel, state, count) VALUES (new.channel, new.state, 1)
    ON CONFLICT (channel, state) DO UPDATE SET count = count + 1;
END;

CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
  UPDATE message_counts SET count = count - 1 WHERE channel = old.channel AND state = old.state;
END;
