-- Lifeline store, PostgreSQL schema 10: the outbox's counter deltas (0009) appended once per
-- statement instead of once per changed message. A relay stores a step's enqueues, claims and
-- outcomes with one statement each; the row triggers appended one or two delta rows per message,
-- over half of all the rows the outbox wrote. Statement triggers sum each statement's transition
-- tables per channel and state instead: a message whose channel and state an UPDATE left as they
-- were adds +1 and -1 to the same pair, which cancel.
DROP TRIGGER messages_count_insert ON messages;
DROP TRIGGER messages_count_update ON messages;
DROP TRIGGER messages_count_delete ON messages;
DROP FUNCTION lifeline_message_counts();

CREATE FUNCTION lifeline_message_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO message_count_deltas (channel, state, delta)
    SELECT channel, state, count(*) FROM new_rows GROUP BY channel, state;
  RETURN NULL;
END;
$$;

CREATE FUNCTION lifeline_message_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO message_count_deltas (channel, state, delta)
    SELECT channel, state, sum(d) FROM (
      SELECT channel, state, 1 AS d FROM new_rows
      UNION ALL SELECT channel, state, -1 AS d FROM old_rows) AS changed
    GROUP BY channel, state HAVING sum(d) <> 0;
  RETURN NULL;
END;
$$;

CREATE FUNCTION lifeline_message_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO message_count_deltas (channel, state, delta)
    SELECT channel, state, -count(*) FROM old_rows GROUP BY channel, state;
  RETURN NULL;
END;
$$;

CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION lifeline_message_counts_inserted();
CREATE TRIGGER messages_count_update AFTER UPDATE ON messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION lifeline_message_counts_updated();
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION lifeline_message_counts_deleted();
