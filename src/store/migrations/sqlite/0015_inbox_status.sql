-- Lifeline store, SQLite schema 15: what the platforms report of our messages (WhatsApp's
-- statuses: sent, delivered, read, failed), and what a failover move tells the customer once the
-- platform is back (src/store/inbox.h). Times are integer milliseconds since the Unix epoch, UTC;
-- '' stands for "none" in text.

-- The platform's id of a message we sent (WhatsApp's wamid), once the relay delivered it.
ALTER TABLE inbox_messages ADD COLUMN remote_id TEXT NOT NULL DEFAULT '';
CREATE INDEX inbox_messages_remote ON inbox_messages (remote_id) WHERE remote_id <> '';

-- The furthest status each of our messages reached, by the platform's id: kept apart from the
-- message because a status may arrive before the relay records which id its message got.
CREATE TABLE inbox_statuses (
  remote_id   TEXT    PRIMARY KEY,
  platform    TEXT    NOT NULL,
  status      TEXT    NOT NULL CHECK (status IN ('sent', 'failed', 'delivered', 'read')),
  at          INTEGER NOT NULL,  -- the platform's time of that status
  error       TEXT    NOT NULL,  -- failed: what the platform said
  received_at INTEGER NOT NULL
);

-- Where the customer was, and the names (and link) the after-restoration notice uses.
ALTER TABLE inbox_moves ADD COLUMN from_address TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_moves ADD COLUMN from_name TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_moves ADD COLUMN from_link TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_moves ADD COLUMN to_name TEXT NOT NULL DEFAULT '';
-- '' (tell nothing), 'stay' or 'back': the step's on_restoration.
ALTER TABLE inbox_moves ADD COLUMN on_restoration TEXT NOT NULL DEFAULT '';
ALTER TABLE inbox_moves ADD COLUMN restored_at INTEGER;
ALTER TABLE inbox_moves ADD COLUMN restored_note TEXT NOT NULL DEFAULT '';
CREATE INDEX inbox_moves_pending ON inbox_moves (at) WHERE on_restoration <> '' AND restored_at IS NULL;
