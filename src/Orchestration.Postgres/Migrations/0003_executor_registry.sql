-- The executor registry: remote executors of each org, when each last called and how many jobs it completed. Shared
-- by every host on this database, written in batches (not on every call), bounded by a per-org cap and expiry.
CREATE TABLE {s}.executors (
    org_id          text        NOT NULL,
    executor_id     text        NOT NULL,
    last_seen       timestamptz NOT NULL,
    jobs_completed  bigint      NOT NULL DEFAULT 0,
    types           text[],
    capacity        integer,
    PRIMARY KEY (org_id, executor_id)
);
CREATE INDEX ix_executors_last_seen ON {s}.executors (last_seen);
