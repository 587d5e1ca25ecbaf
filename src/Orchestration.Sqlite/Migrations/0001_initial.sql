-- Orchestration SQLite schema, version 1.
-- Times are INTEGER .NET ticks (100 ns units since 0001-01-01 UTC): they round-trip the host clock exactly and sort
-- as numbers. Ids are TEXT in the 36-character "D" form, so ORDER BY id matches Guid ordering in .NET.
-- Every table has an integer seq (rowid) for insertion order: UUIDv7 ids are not monotonic within one millisecond.

CREATE TABLE orgs (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    seq                        INTEGER PRIMARY KEY,
    id                         TEXT    NOT NULL UNIQUE,
    org_id                     TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    secret_hash                TEXT    NOT NULL,
    permissions                TEXT    NOT NULL, -- JSON array of strings
    created_at                 INTEGER NOT NULL,
    expires_at                 INTEGER,
    revoked_at                 INTEGER,
    rate_limit                 INTEGER,
    rate_limit_window_seconds  INTEGER
);
CREATE INDEX ix_api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE runs (
    seq              INTEGER PRIMARY KEY,
    id               TEXT    NOT NULL UNIQUE,
    org_id           TEXT    NOT NULL,
    kind             TEXT    NOT NULL, -- managed | open
    status           TEXT    NOT NULL,
    family           TEXT    NOT NULL,
    name             TEXT,
    input            TEXT,
    output           TEXT,
    error            TEXT,
    metadata         TEXT,
    idempotency_key  TEXT,
    max_concurrency  INTEGER,
    deadline_at      INTEGER,
    -- 1 while the deadline still applies; cancelling or finishing a run disarms it without losing deadline_at.
    deadline_armed   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    completed_at     INTEGER,
    -- Tasks not yet terminal; finalisation checks it instead of scanning the run's tasks.
    unfinished       INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_runs_idempotency ON runs (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX ix_runs_org_created ON runs (org_id, created_at, id);
CREATE INDEX ix_runs_deadline ON runs (deadline_at) WHERE deadline_armed = 1;

CREATE TABLE tasks (
    seq                  INTEGER PRIMARY KEY,
    id                   TEXT    NOT NULL UNIQUE,
    run_id               TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    org_id               TEXT    NOT NULL,
    name                 TEXT    NOT NULL,
    type                 TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    priority             INTEGER NOT NULL,
    input                TEXT,
    output               TEXT,
    error                TEXT,
    metadata             TEXT,
    dependencies         TEXT,    -- JSON array of names; NULL for none
    remaining_deps       INTEGER NOT NULL DEFAULT 0,
    parent_task_id       TEXT,
    retry_max_attempts   INTEGER NOT NULL,
    retry_initial_delay  INTEGER NOT NULL, -- ticks
    retry_max_delay      INTEGER NOT NULL, -- ticks
    retry_backoff        REAL    NOT NULL,
    retry_jitter         REAL    NOT NULL,
    timeout              INTEGER,          -- ticks
    attempt              INTEGER NOT NULL DEFAULT 0,
    not_before           INTEGER,
    lease_token          TEXT,
    lease_expires_at     INTEGER,
    executor_id          TEXT,
    queue_job_id         TEXT,
    enqueue              INTEGER NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    queued_at            INTEGER,
    started_at           INTEGER,
    completed_at         INTEGER
);
CREATE UNIQUE INDEX ux_tasks_run_name ON tasks (run_id, name);
CREATE INDEX ix_tasks_run_status ON tasks (run_id, status);
CREATE INDEX ix_tasks_org ON tasks (org_id, seq);
-- Claim order: priority first, then age; only claimable rows are indexed, so the index stays small.
CREATE INDEX ix_tasks_claim ON tasks (priority DESC, seq) WHERE status = 'queued';
CREATE INDEX ix_tasks_retry ON tasks (not_before) WHERE status = 'retrying';
-- Lease reaping and per-type running counts.
CREATE INDEX ix_tasks_lease ON tasks (lease_expires_at, type) WHERE status = 'running';

-- One row per (dependent, dependency name): finds a completed task's dependents without parsing JSON.
CREATE TABLE task_deps (
    seq            INTEGER PRIMARY KEY,
    run_id         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    dependent_seq  INTEGER NOT NULL REFERENCES tasks (seq) ON DELETE CASCADE
);
CREATE INDEX ix_task_deps_name ON task_deps (run_id, name);
CREATE INDEX ix_task_deps_dependent ON task_deps (dependent_seq);

CREATE TABLE task_attempts (
    seq          INTEGER PRIMARY KEY,
    task_id      TEXT    NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    executor_id  TEXT    NOT NULL,
    executor_ip  TEXT,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    outcome      TEXT,
    error        TEXT
);
CREATE INDEX ix_task_attempts_task ON task_attempts (task_id, seq);

CREATE TABLE run_data (
    seq         INTEGER PRIMARY KEY,
    id          TEXT    NOT NULL UNIQUE,
    org_id      TEXT    NOT NULL,
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    task_id     TEXT,
    key         TEXT    NOT NULL,
    value       TEXT,
    tags        TEXT    NOT NULL, -- JSON array of distinct strings
    metadata    TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX ix_run_data_key ON run_data (run_id, key, seq);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT    NOT NULL,
    run_id      TEXT    NOT NULL,
    task_id     TEXT,
    type        TEXT    NOT NULL,
    data        TEXT,
    created_at  INTEGER NOT NULL
);
