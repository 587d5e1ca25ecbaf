-- Runs that start at a given time: the run keeps its start time for reads; its root tasks wait pending with a
-- not-before time, and a claim queues those whose time has come. Pending tasks with a time are few (only scheduled
-- roots have one), so this index stays small and the claim finds the due ones, or the next due time, in one seek.
ALTER TABLE runs ADD COLUMN scheduled_at INTEGER;
CREATE INDEX ix_tasks_scheduled ON tasks (not_before) WHERE status = 'pending' AND not_before IS NOT NULL;

-- Cron schedules: one row each, unique per org, family and name. The leader finds the due ones through
-- ix_schedules_due and sleeps until the earliest next_fire_at.
CREATE TABLE schedules (
    id              TEXT    PRIMARY KEY,
    org_id          TEXT    NOT NULL,
    family          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    cron            TEXT    NOT NULL,
    time_zone       TEXT    NOT NULL,
    misfire         TEXT    NOT NULL,
    catch_up_limit  INTEGER NOT NULL,
    paused          INTEGER NOT NULL,
    run_spec        TEXT,
    next_fire_at    INTEGER,
    last_fired_at   INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (org_id, family, name)
) WITHOUT ROWID;
CREATE INDEX ix_schedules_due ON schedules (next_fire_at) WHERE paused = 0 AND next_fire_at IS NOT NULL;

-- One row per fire time that created a run: the primary key is what makes a fire time fire once.
CREATE TABLE schedule_fires (
    schedule_id  TEXT    NOT NULL,
    fire_at      INTEGER NOT NULL,
    run_id       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (schedule_id, fire_at)
) WITHOUT ROWID;
