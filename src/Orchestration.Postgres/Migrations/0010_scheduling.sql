-- Runs that start at a given time: the run keeps its start time for reads; its root tasks wait pending with a
-- not-before time, and a claim queues those whose time has come. Only scheduled roots are pending with a time, so this
-- index stays small: the due ones and the next due time are one index range each, never a scan of the tasks.
ALTER TABLE {s}.runs ADD COLUMN scheduled_at timestamptz;
CREATE INDEX tasks_scheduled ON {s}.tasks (not_before) WHERE status = 'pending' AND not_before IS NOT NULL;

-- Cron schedules: one row each, unique per org, family and name. The leader finds the due ones through
-- schedules_due and sleeps until the earliest next_fire_at.
CREATE TABLE {s}.schedules (
    id              uuid        PRIMARY KEY,
    org_id          text        NOT NULL,
    family          text        NOT NULL,
    name            text        NOT NULL,
    cron            text        NOT NULL,
    time_zone       text        NOT NULL,
    misfire         text        NOT NULL,
    catch_up_limit  integer     NOT NULL,
    paused          boolean     NOT NULL,
    run_spec        text,
    next_fire_at    timestamptz,
    last_fired_at   timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (org_id, family, name)
);
CREATE INDEX schedules_due ON {s}.schedules (next_fire_at) WHERE NOT paused AND next_fire_at IS NOT NULL;

-- One row per fire time that created a run. The primary key is what makes a fire time fire once, whichever hosts
-- believe they lead and however the firing transactions interleave.
CREATE TABLE {s}.schedule_fires (
    schedule_id  uuid        NOT NULL,
    fire_at      timestamptz NOT NULL,
    run_id       uuid        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (schedule_id, fire_at)
);
