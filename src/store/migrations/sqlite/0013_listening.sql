-- Lifeline store, SQLite schema 13: listening (src/store/listening.h). Posts stored once under
-- their cross-source key, linked to the queries they belong to; counts per query and UTC hour kept
-- as posts are linked; the hours in which collection ran; each source's polling state per term;
-- the spike decisions per query and hour.

CREATE TABLE listen_posts (
  key        TEXT    PRIMARY KEY,
  source     TEXT    NOT NULL,
  source_id  TEXT    NOT NULL,
  url        TEXT    NOT NULL,
  author     TEXT    NOT NULL,
  text       TEXT    NOT NULL,
  posted_at  INTEGER NOT NULL,
  fetched_at INTEGER NOT NULL,
  shares     INTEGER NOT NULL,
  compound   REAL    NOT NULL
);
CREATE INDEX listen_posts_posted ON listen_posts (posted_at);

CREATE TABLE listen_post_queries (
  key   TEXT NOT NULL,
  query TEXT NOT NULL,
  PRIMARY KEY (key, query)
);
CREATE INDEX listen_post_queries_query ON listen_post_queries (query, key);

CREATE TABLE listen_counts (
  query TEXT    NOT NULL,
  hour  INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (query, hour)
);

CREATE TABLE listen_coverage (
  hour INTEGER PRIMARY KEY
);

CREATE TABLE listen_sources (
  source     TEXT    NOT NULL,
  term       TEXT    NOT NULL,
  cursor     TEXT    NOT NULL,
  last_poll  INTEGER,
  last_ok    INTEGER,
  outcome    TEXT    NOT NULL,
  error      TEXT    NOT NULL,
  rate_limit TEXT    NOT NULL,
  retry_at   INTEGER,
  polls      INTEGER NOT NULL,
  posts      INTEGER NOT NULL,
  PRIMARY KEY (source, term)
);

CREATE TABLE listen_spikes (
  query      TEXT    NOT NULL,
  platform   TEXT    NOT NULL,
  hour       INTEGER NOT NULL,
  judged_at  INTEGER NOT NULL,
  fraction   REAL    NOT NULL,
  observed   INTEGER NOT NULL,
  expected   REAL    NOT NULL,
  usual      REAL    NOT NULL,
  weeks_json TEXT    NOT NULL,
  p_value    REAL    NOT NULL,
  run        INTEGER NOT NULL,
  spiking    INTEGER NOT NULL,
  fired      INTEGER NOT NULL,
  reason     TEXT    NOT NULL,
  evidence   TEXT    NOT NULL,
  PRIMARY KEY (query, hour)
);
CREATE INDEX listen_spikes_platform ON listen_spikes (platform, hour) WHERE platform <> '';
