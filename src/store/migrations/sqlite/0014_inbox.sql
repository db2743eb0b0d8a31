-- Lifeline store, SQLite schema 14: the inbox (src/store/inbox.h). One conversation per contact
-- across channels; each contact's addresses per relay channel; every message in and out, kept
-- once per platform id (webhook retries store nothing twice), with the platform's timestamp beside
-- the arrival time; the failover moves, once per step key and conversation. Times are integer
-- milliseconds since the Unix epoch, UTC; '' stands for "none" in text.

CREATE TABLE inbox_addresses (
  channel    TEXT    NOT NULL,  -- a relay channel's name
  address    TEXT    NOT NULL,  -- the person on it (a WhatsApp wa_id, a Telegram chat id, a PSID)
  contact    TEXT    NOT NULL,
  name       TEXT    NOT NULL,  -- the name the platform gave, '' = none
  created_at INTEGER NOT NULL,
  PRIMARY KEY (channel, address)
);
CREATE INDEX inbox_addresses_contact ON inbox_addresses (contact);

CREATE TABLE inbox_conversations (
  id              TEXT    PRIMARY KEY,
  contact         TEXT    NOT NULL UNIQUE,  -- one thread per contact
  name            TEXT    NOT NULL,
  channel         TEXT    NOT NULL,         -- where the conversation is now
  address         TEXT    NOT NULL,         -- the contact's address on that channel
  state           TEXT    NOT NULL CHECK (state IN ('open', 'pending', 'snoozed', 'resolved')),
  priority        INTEGER NOT NULL,
  assignee        TEXT    NOT NULL,
  waiting_since   INTEGER,                  -- the oldest unanswered customer message (platform time)
  first_reply_at  INTEGER,
  last_inbound_at INTEGER,                  -- the customer's last message (platform time)
  last_message_at INTEGER,
  snoozed_until   INTEGER,
  link_token      TEXT    NOT NULL UNIQUE,  -- carried by move messages: maps a new address here
  moved_from      TEXT    NOT NULL,
  moved_at        INTEGER,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);
CREATE INDEX inbox_conversations_waiting ON inbox_conversations (waiting_since)
  WHERE waiting_since IS NOT NULL;
CREATE INDEX inbox_conversations_channel ON inbox_conversations (channel, state);

CREATE TABLE inbox_messages (
  seq             INTEGER PRIMARY KEY AUTOINCREMENT,
  id              TEXT    NOT NULL UNIQUE,
  conversation_id TEXT    NOT NULL REFERENCES inbox_conversations (id),
  direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out')),
  channel         TEXT    NOT NULL,
  address         TEXT    NOT NULL,
  source          TEXT    NOT NULL,  -- the inbox source it came through, or 'relay'
  platform        TEXT    NOT NULL,  -- the dedup scope: whatsapp, messenger, instagram, telegram:SRC
  platform_id     TEXT    NOT NULL,  -- the platform's own message id (out: 'relay:' + key)
  sent_at         INTEGER NOT NULL,  -- the platform's timestamp
  received_at     INTEGER NOT NULL,  -- when Lifeline stored it
  text            TEXT    NOT NULL,
  kind            TEXT    NOT NULL,  -- text, image, audio, sticker, ... as the platform says
  author          TEXT    NOT NULL,  -- out: who replied
  relay_id        TEXT    NOT NULL,  -- out: the relay message
  status          TEXT    NOT NULL,  -- out: queued, delivered, read, failed; in: ''
  UNIQUE (platform, platform_id)
);
CREATE INDEX inbox_messages_conversation ON inbox_messages (conversation_id, sent_at, received_at);
CREATE INDEX inbox_messages_received ON inbox_messages (received_at);
CREATE INDEX inbox_messages_relay ON inbox_messages (relay_id) WHERE relay_id <> '';

CREATE TABLE inbox_moves (
  key             TEXT    PRIMARY KEY,  -- the plan step's key + '/' + conversation id
  conversation_id TEXT    NOT NULL,
  incident_id     TEXT    NOT NULL,
  from_channel    TEXT    NOT NULL,
  to_channel      TEXT    NOT NULL,
  to_address      TEXT    NOT NULL,
  relay_id        TEXT    NOT NULL,
  at              INTEGER NOT NULL
);
CREATE INDEX inbox_moves_incident ON inbox_moves (incident_id);
