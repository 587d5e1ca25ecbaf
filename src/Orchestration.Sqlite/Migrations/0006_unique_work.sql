-- Unique work: the latest run created with each unique key, per org and scope (family, and the run's name when the key
-- is scoped by name). Whether that run still blocks is read from the run itself when the key is used again, so nothing
-- has to release a key when a run finishes or its window ends.
CREATE TABLE unique_keys (
    org_id  TEXT NOT NULL,
    scope   TEXT NOT NULL,
    key     TEXT NOT NULL,
    run_id  TEXT NOT NULL,
    PRIMARY KEY (org_id, scope, key)
) WITHOUT ROWID;
