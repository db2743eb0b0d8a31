-- Lifeline store, SQLite schema 10: the links to images and videos a relay message carries
-- (store/outbox.h OutboxMessage::media), a JSON array of strings. Messages stored before it read
-- as carrying none.
ALTER TABLE messages ADD COLUMN media TEXT NOT NULL DEFAULT '[]';
