-- Lifeline store, PostgreSQL schema 2: the relay's durable outbox (src/store/outbox.h). Times are
-- bigint milliseconds since the Unix epoch, UTC; '' stands for "none" in text columns.

-- One row per accepted message. pos is the insertion order: the key of the newest-first pages and
-- the tie-break of claims.
CREATE TABLE messages (
  pos             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              text    NOT NULL UNIQUE,
  idempotency_key text    NOT NULL UNIQUE,
  channel         text    NOT NULL,
  contact         text    NOT NULL,
  recipient       text    NOT NULL,
  subject         text    NOT NULL,
  text            text    NOT NULL,
  html            text    NOT NULL,
  -- No foreign key: deleting an incident keeps the record of what was sent for it.
  incident_id     text    NOT NULL,
  state           text    NOT NULL CHECK (state IN ('queued', 'sending', 'delivered',
                    'retry_scheduled', 'unconfirmed', 'failed', 'dead_lettered', 'cancelled')),
  attempts        integer NOT NULL,
  next_attempt_at bigint,
  created_at      bigint  NOT NULL,
  updated_at      bigint  NOT NULL,
  remote_id       text    NOT NULL,
  last_reason     text    NOT NULL,
  route           text    NOT NULL,
  last_seq        bigint  NOT NULL,  -- the seq of the newest event
  media           text    NOT NULL DEFAULT '[]',  -- a JSON array of links
  -- Exactly the waiting messages have a due time, so the due index holds nothing else.
  CHECK ((next_attempt_at IS NOT NULL) = (state IN ('queued', 'retry_scheduled')))
);
-- Claims: per channel, earliest due first; the second serves a channel whose circuit is open,
-- where only messages with a contact (which can fail over) are claimed.
CREATE INDEX messages_due ON messages (channel, next_attempt_at, pos)
  WHERE next_attempt_at IS NOT NULL;
CREATE INDEX messages_due_contact ON messages (channel, next_attempt_at, pos)
  WHERE next_attempt_at IS NOT NULL AND contact <> '';
-- Listing newest first with each filter.
CREATE INDEX messages_state ON messages (state, pos);
CREATE INDEX messages_channel ON messages (channel, pos);
CREATE INDEX messages_channel_state ON messages (channel, state, pos);
CREATE INDEX messages_incident ON messages (incident_id, pos) WHERE incident_id <> '';
CREATE INDEX messages_contact ON messages (contact, pos) WHERE contact <> '';
CREATE INDEX messages_final ON messages (updated_at)
  WHERE state IN ('delivered', 'failed', 'dead_lettered', 'cancelled');

-- The append-only timeline of each message.
CREATE TABLE message_events (
  message_id text   NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  seq        bigint NOT NULL,
  at         bigint NOT NULL,
  type       text   NOT NULL,
  state      text   NOT NULL,  -- the message's state after the event
  detail     text   NOT NULL,
  answer     text   NOT NULL,  -- the far side's answer, a JSON object
  PRIMARY KEY (message_id, seq)
);

-- Messages per channel and state, kept by a trigger so /metrics never counts a million rows.
-- Concurrent relays update the same counter rows; the row lock is held to their commit, which is
-- short (one step).
CREATE TABLE message_counts (
  channel text   NOT NULL,
  state   text   NOT NULL,
  count   bigint NOT NULL,
  PRIMARY KEY (channel, state)
);

CREATE FUNCTION lifeline_message_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE message_counts SET count = count - 1
      WHERE channel = OLD.channel AND state = OLD.state;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO message_counts (channel, state, count) VALUES (NEW.channel, NEW.state, 1)
      ON CONFLICT (channel, state) DO UPDATE SET count = message_counts.count + 1;
  END IF;
  RETURN NULL;
END;
$$;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
  FOR EACH ROW EXECUTE FUNCTION lifeline_message_counts();
CREATE TRIGGER messages_count_update AFTER UPDATE OF channel, state ON messages
  FOR EACH ROW WHEN (OLD.channel <> NEW.channel OR OLD.state <> NEW.state)
  EXECUTE FUNCTION lifeline_message_counts();
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
  FOR EACH ROW EXECUTE FUNCTION lifeline_message_counts();
