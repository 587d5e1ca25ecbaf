-- The executor registry: remote executors of each org, when each last called and how many jobs it completed.
-- Written in batches by the HTTP hosts (not on every call), bounded by a per-org cap and expiry of stale rows.
CREATE TABLE executors (
    org_id          TEXT    NOT NULL,
    executor_id     TEXT    NOT NULL,
    last_seen       INTEGER NOT NULL, -- UTC ticks
    jobs_completed  INTEGER NOT NULL DEFAULT 0,
    types           TEXT,             -- JSON array of strings, or NULL when never declared
    capacity        INTEGER,
    PRIMARY KEY (org_id, executor_id)
) WITHOUT ROWID;
CREATE INDEX ix_executors_last_seen ON executors (last_seen);
