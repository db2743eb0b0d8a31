-- Lifeline store, SQLite schema 12: what the platform said when Lifeline looked a published post
-- up (src/store/calendar.h PostPart::verified): '' (not yet), present, missing, unknown,
-- unsupported; with a note for people and when it looked.
ALTER TABLE calendar_parts ADD COLUMN verified TEXT NOT NULL DEFAULT '';
ALTER TABLE calendar_parts ADD COLUMN verify_note TEXT NOT NULL DEFAULT '';
ALTER TABLE calendar_parts ADD COLUMN verified_at INTEGER;
