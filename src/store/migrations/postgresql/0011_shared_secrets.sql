-- Lifeline store, PostgreSQL schema 11: secrets every instance on the database shares
-- (ClusterStore::SharedSecret): the playbook's link secret, so that a link in a message sent by
-- one instance is honoured by all. Written once by the first instance that asks, never changed.
CREATE TABLE shared_secrets (
  name  text PRIMARY KEY,
  value text NOT NULL
);
