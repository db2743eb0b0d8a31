-- Lifeline store, PostgreSQL schema 8: the inbox (src/store/inbox.h; SQLite schemas 14 to 16 in
-- one). One conversation per contact across channels; each contact's addresses per relay channel;
-- every message in and out, kept once per platform id (webhook retries, also to another instance,
-- store nothing twice), with the platform's timestamp beside the arrival time; what the platforms
-- report of our messages; the failover moves; the IMAP cursors, e-mail headers and catch-ups.
-- Times are bigint milliseconds since the Unix epoch, UTC; '' stands for "none" in text columns.

-- Who is who: the first mapping of (channel, address) wins and is never changed, so instances
-- ingesting the first messages of a new contact at once agree on the contact.
CREATE TABLE inbox_addresses (
  channel    text   NOT NULL,  -- a relay channel's name
  address    text   NOT NULL,  -- the person on it (a WhatsApp wa_id, a Telegram chat id, a PSID)
  contact    text   NOT NULL,
  name       text   NOT NULL,  -- the name the platform gave, '' = none
  created_at bigint NOT NULL,
  PRIMARY KEY (channel, address)
);
CREATE INDEX inbox_addresses_contact ON inbox_addresses (contact);

CREATE TABLE inbox_conversations (
  id              text    PRIMARY KEY,
  contact         text    NOT NULL UNIQUE,  -- one thread per contact
  name            text    NOT NULL,
  channel         text    NOT NULL,         -- where the conversation is now
  address         text    NOT NULL,         -- the contact's address on that channel
  state           text    NOT NULL CHECK (state IN ('open', 'pending', 'snoozed', 'resolved')),
  priority        integer NOT NULL,
  assignee        text    NOT NULL,
  waiting_since   bigint,                   -- the oldest unanswered customer message (platform time)
  first_reply_at  bigint,
  last_inbound_at bigint,                   -- the customer's last message (platform time)
  last_message_at bigint,
  snoozed_until   bigint,
  link_token      text    NOT NULL UNIQUE,  -- carried by move messages: maps a new address here
  moved_from      text    NOT NULL,
  moved_at        bigint,
  created_at      bigint  NOT NULL,
  updated_at      bigint  NOT NULL
);
CREATE INDEX inbox_conversations_waiting ON inbox_conversations (waiting_since)
  WHERE waiting_since IS NOT NULL;
CREATE INDEX inbox_conversations_channel ON inbox_conversations (channel, state);

-- seq is the store order: the last tie-break of a conversation's messages.
CREATE TABLE inbox_messages (
  seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id              text   NOT NULL UNIQUE,
  conversation_id text   NOT NULL REFERENCES inbox_conversations (id),
  direction       text   NOT NULL CHECK (direction IN ('in', 'out')),
  channel         text   NOT NULL,
  address         text   NOT NULL,
  source          text   NOT NULL,  -- the inbox source it came through, or 'relay'
  platform        text   NOT NULL,  -- the dedup scope: whatsapp, messenger, instagram, telegram:SRC
  platform_id     text   NOT NULL,  -- the platform's own message id (out: 'relay:' + key)
  sent_at         bigint NOT NULL,  -- the platform's timestamp
  received_at     bigint NOT NULL,  -- when Lifeline stored it
  text            text   NOT NULL,
  kind            text   NOT NULL,  -- text, image, audio, sticker, ... as the platform says
  author          text   NOT NULL,  -- out: who replied
  relay_id        text   NOT NULL,  -- out: the relay message
  status          text   NOT NULL,  -- out: queued, delivered, read, failed; in: ''
  remote_id       text   NOT NULL,  -- out: the platform's id of it (wamid), once delivered
  UNIQUE (platform, platform_id)
);
CREATE INDEX inbox_messages_conversation ON inbox_messages (conversation_id, sent_at, received_at);
CREATE INDEX inbox_messages_received ON inbox_messages (received_at);
CREATE INDEX inbox_messages_relay ON inbox_messages (relay_id) WHERE relay_id <> '';
CREATE INDEX inbox_messages_remote ON inbox_messages (remote_id) WHERE remote_id <> '';

-- The furthest status each of our messages reached, by the platform's id: kept apart from the
-- message because a status may arrive before the relay records which id its message got.
CREATE TABLE inbox_statuses (
  remote_id   text   PRIMARY KEY,
  platform    text   NOT NULL,
  status      text   NOT NULL CHECK (status IN ('sent', 'failed', 'delivered', 'read')),
  at          bigint NOT NULL,  -- the platform's time of that status
  error       text   NOT NULL,  -- failed: what the platform said
  received_at bigint NOT NULL
);

-- One row per move; RecordMove and FinishRestoration lock the conversation after the move's row.
CREATE TABLE inbox_moves (
  key             text   PRIMARY KEY,  -- the plan step's key + '/' + conversation id
  conversation_id text   NOT NULL,
  incident_id     text   NOT NULL,
  from_channel    text   NOT NULL,
  to_channel      text   NOT NULL,
  to_address      text   NOT NULL,
  relay_id        text   NOT NULL,
  at              bigint NOT NULL,
  from_address    text   NOT NULL,  -- where the customer was
  from_name       text   NOT NULL,  -- the names (and link) the after-restoration notice uses
  from_link       text   NOT NULL,
  to_name         text   NOT NULL,
  on_restoration  text   NOT NULL,  -- '' (tell nothing), 'stay' or 'back'
  restored_at     bigint,
  restored_note   text   NOT NULL
);
CREATE INDEX inbox_moves_incident ON inbox_moves (incident_id);
CREATE INDEX inbox_moves_pending ON inbox_moves (at)
  WHERE on_restoration <> '' AND restored_at IS NULL;

CREATE TABLE inbox_imap_cursors (
  source      text   PRIMARY KEY,  -- inbox.sources.NAME
  uidvalidity bigint NOT NULL,     -- the mailbox's UIDVALIDITY the UIDs belong to
  last_uid    bigint NOT NULL,     -- every UID up to this one is stored
  updated_at  bigint NOT NULL
);

CREATE TABLE inbox_email_headers (
  message_id text PRIMARY KEY,  -- the inbox message (msg_...)
  subject    text NOT NULL,
  header_id  text NOT NULL,     -- the mail's Message-ID as written ('<...>'), '' = none
  refs       text NOT NULL      -- its References header, '' = none
);

CREATE TABLE inbox_catchups (
  seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  incident_id text    NOT NULL,  -- the incident whose end started it, '' = asked for without one
  source      text    NOT NULL,
  kind        text    NOT NULL,  -- the source's type: imap, messenger, telegram, ...
  since       bigint  NOT NULL,  -- the span it looked at
  until       bigint  NOT NULL,
  at          bigint  NOT NULL,  -- when it ran
  looked      boolean NOT NULL,  -- false: it could not look (reason says why)
  found       bigint,            -- messages the platform had in the span (NULL: not countable)
  fresh       bigint,            -- of which not stored before: the gap (NULL: not countable)
  pending     bigint,            -- Telegram: updates it still holds for the webhook
  reason      text    NOT NULL,  -- why it could not look, or a note on what it saw
  detail      text    NOT NULL   -- JSON: the new messages' ids, the platform's last error, ...
);
CREATE INDEX inbox_catchups_incident ON inbox_catchups (incident_id, seq);
