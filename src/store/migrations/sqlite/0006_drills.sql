-- Lifeline store, SQLite schema 6: drills (`lifeline drill`, src/playbook/drill.h). A drill is an
-- incident that only the playbook engine sees: 1 here. Listings leave drills out unless asked
-- (IncidentQuery::drills), so nothing that reads real incidents mistakes one for an outage.
ALTER TABLE incidents ADD COLUMN drill INTEGER NOT NULL DEFAULT 0 CHECK (drill IN (0, 1));
