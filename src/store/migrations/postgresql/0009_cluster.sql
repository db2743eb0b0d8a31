-- Lifeline store, PostgreSQL schema 9: several `lifeline serve` instances on one database
-- (src/store/cluster.h). Times are bigint milliseconds since the Unix epoch, UTC.

-- One row per running instance, renewed by its heartbeat; an instance whose expires_at has passed
-- is dead: its leases may be taken and its outbox claims recovered.
CREATE TABLE instances (
  id         text    PRIMARY KEY,
  host       text    NOT NULL,
  pid        bigint  NOT NULL,
  version    text    NOT NULL,
  started_at bigint  NOT NULL,
  last_seen  bigint  NOT NULL,
  expires_at bigint  NOT NULL
);

-- Named leases (a platform's rounds): held by one instance until expires_at, renewed while it
-- lives. A lease past its expiry is free for anyone to take.
CREATE TABLE leases (
  name       text   PRIMARY KEY,
  holder     text   NOT NULL,
  acquired_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX leases_holder ON leases (holder);

-- Which instance claimed each message being sent: a dead instance's claims are recovered by the
-- living (OutboxStore::RecoverOrphans), a live one's never.
ALTER TABLE messages ADD COLUMN claimed_by text NOT NULL DEFAULT '';
CREATE INDEX messages_sending ON messages (claimed_by) WHERE state = 'sending';

-- The per-channel, per-state counters (0002) were kept in one row each, updated by every
-- message's change: instances claiming, enqueuing and recording outcomes at once locked those
-- rows in different orders and deadlocked. Each change now appends a delta (inserts never wait for
-- each other); OutboxStore::Counts folds the deltas into message_counts, one folder at a time.
CREATE TABLE message_count_deltas (
  channel text   NOT NULL,
  state   text   NOT NULL,
  delta   bigint NOT NULL
);

CREATE OR REPLACE FUNCTION lifeline_message_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.channel = NEW.channel AND OLD.state = NEW.state THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO message_count_deltas (channel, state, delta) VALUES (OLD.channel, OLD.state, -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO message_count_deltas (channel, state, delta) VALUES (NEW.channel, NEW.state, 1);
  END IF;
  RETURN NULL;
END;
$$;
