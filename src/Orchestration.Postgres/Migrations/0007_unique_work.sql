-- Unique work: the latest run created with each unique key, per org and scope (family, and the run's name when the key
-- is scoped by name). The primary key is what makes concurrent creates with one key safe: each takes the row with an
-- upsert that replaces the holder only when the holder, read from runs, no longer blocks by the new run's rule, so the
-- database serialises them and nothing has to release a key when a run finishes or its window ends.
CREATE TABLE {s}.unique_keys (
    org_id  text NOT NULL,
    scope   text NOT NULL,
    key     text NOT NULL,
    run_id  uuid NOT NULL,
    PRIMARY KEY (org_id, scope, key)
);
