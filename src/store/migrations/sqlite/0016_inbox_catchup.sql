-- Lifeline store, SQLite schema 16: the inbox's mailboxes and catch-ups (src/store/inbox.h). Each
-- IMAP source's cursor (the mailbox's UIDVALIDITY and the last UID stored: a restart resumes after
-- it); the subject and threading headers of each stored e-mail (a reply answers "Re: SUBJECT");
-- and what each catch-up after an outage found: per source, how many messages the platform had
-- and how many of them were new (the gap), or why it could not look. Times are integer
-- milliseconds since the Unix epoch, UTC; '' stands for "none" in text.

CREATE TABLE inbox_imap_cursors (
  source      TEXT    PRIMARY KEY,  -- inbox.sources.NAME
  uidvalidity INTEGER NOT NULL,     -- the mailbox's UIDVALIDITY the UIDs belong to
  last_uid    INTEGER NOT NULL,     -- every UID up to this one is stored
  updated_at  INTEGER NOT NULL
);

CREATE TABLE inbox_email_headers (
  message_id TEXT PRIMARY KEY,  -- the inbox message (msg_...)
  subject    TEXT NOT NULL,
  header_id  TEXT NOT NULL,     -- the mail's Message-ID as written ('<...>'), '' = none
  refs       TEXT NOT NULL      -- its References header, '' = none
);

CREATE TABLE inbox_catchups (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id TEXT    NOT NULL,  -- the incident whose end started it, '' = asked for without one
  source      TEXT    NOT NULL,
  kind        TEXT    NOT NULL,  -- the source's type: imap, messenger, telegram, ...
  since       INTEGER NOT NULL,  -- the span it looked at
  until       INTEGER NOT NULL,
  at          INTEGER NOT NULL,  -- when it ran
  looked      INTEGER NOT NULL,  -- 1: it looked; 0: it could not (reason says why)
  found       INTEGER,           -- messages the platform had in the span (NULL: not countable)
  fresh       INTEGER,           -- of which not stored before: the gap (NULL: not countable)
  pending     INTEGER,           -- Telegram: updates it still holds for the webhook
  reason      TEXT    NOT NULL,  -- why it could not look, or a note on what it saw
  detail      TEXT    NOT NULL   -- JSON: the new messages' ids, the platform's last error, ...
);
CREATE INDEX inbox_catchups_incident ON inbox_catchups (incident_id, seq);
