-- Lifeline store, PostgreSQL schema 7: listening (src/store/listening.h). Posts stored once under
-- their cross-source key, linked to the queries they belong to; counts per query and UTC hour kept
-- as posts are linked; the hours in which collection ran; each source's polling state per term;
-- the spike decisions per query and hour. Times are bigint milliseconds since the Unix epoch, UTC;
-- '' stands for "none" in text columns.

-- One row per key whichever source brought it: instances storing the same post at once meet on
-- the primary key (the later one waits, then updates the row the first one stored).
CREATE TABLE listen_posts (
  key        text             PRIMARY KEY,  -- listen::DedupKey
  source     text             NOT NULL,     -- the source that brought it first
  source_id  text             NOT NULL,
  url        text             NOT NULL,
  author     text             NOT NULL,
  text       text             NOT NULL,
  posted_at  bigint           NOT NULL,     -- the earliest sighting: the hour it counts in
  fetched_at bigint           NOT NULL,
  shares     bigint           NOT NULL,     -- the largest count any sighting gave
  compound   double precision NOT NULL      -- VADER's compound score
);
CREATE INDEX listen_posts_posted ON listen_posts (posted_at);

CREATE TABLE listen_post_queries (
  key   text NOT NULL,
  query text NOT NULL,
  PRIMARY KEY (key, query)
);
CREATE INDEX listen_post_queries_query ON listen_post_queries (query, key);

-- Kept in step with listen_post_queries in the same transaction: one per link, in the hour of
-- its post's posted_at.
CREATE TABLE listen_counts (
  query text   NOT NULL,
  hour  bigint NOT NULL,  -- the start of a UTC hour
  count bigint NOT NULL,
  PRIMARY KEY (query, hour)
);

CREATE TABLE listen_coverage (
  hour bigint PRIMARY KEY
);

CREATE TABLE listen_sources (
  source     text   NOT NULL,
  term       text   NOT NULL,
  cursor     text   NOT NULL,
  last_poll  bigint,
  last_ok    bigint,
  outcome    text   NOT NULL,
  error      text   NOT NULL,
  rate_limit text   NOT NULL,
  retry_at   bigint,
  polls      bigint NOT NULL,
  posts      bigint NOT NULL,
  PRIMARY KEY (source, term)
);

CREATE TABLE listen_spikes (
  query      text             NOT NULL,
  platform   text             NOT NULL,
  hour       bigint           NOT NULL,
  judged_at  bigint           NOT NULL,
  fraction   double precision NOT NULL,
  observed   bigint           NOT NULL,
  expected   double precision NOT NULL,
  usual      double precision NOT NULL,
  weeks_json text             NOT NULL,  -- a JSON array of integers
  p_value    double precision NOT NULL,
  run        integer          NOT NULL,
  spiking    boolean          NOT NULL,
  fired      boolean          NOT NULL,
  reason     text             NOT NULL,
  evidence   text             NOT NULL,
  PRIMARY KEY (query, hour)
);
CREATE INDEX listen_spikes_platform ON listen_spikes (platform, hour) WHERE platform <> '';
-- LastFired: the newest fired decision of a query.
CREATE INDEX listen_spikes_fired ON listen_spikes (query, judged_at) WHERE fired;
