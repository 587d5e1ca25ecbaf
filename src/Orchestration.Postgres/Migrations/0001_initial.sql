-- {s} is replaced by the quoted schema name. Times are timestamptz; ages order by seq (UUIDv7 is not monotonic within a millisecond).
CREATE TABLE {s}.runs (
    seq             bigserial NOT NULL,
    id              uuid PRIMARY KEY,
    org_id          text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL,
    family          text NOT NULL,
    name            text,
    input_json      text,
    output_json     text,
    error_json      text,
    metadata_json   text,
    idempotency_key text,
    max_concurrency integer,
    deadline_at     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz
);
CREATE UNIQUE INDEX runs_idempotency ON {s}.runs (org_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_org_created ON {s}.runs (org_id, created_at DESC, id DESC);
CREATE INDEX runs_deadline ON {s}.runs (deadline_at) WHERE deadline_at IS NOT NULL AND status IN ('pending', 'running');
CREATE INDEX runs_limited ON {s}.runs (id) WHERE max_concurrency IS NOT NULL AND status IN ('pending', 'running');
CREATE INDEX runs_finished ON {s}.runs (completed_at) WHERE status IN ('completed', 'failed', 'cancelled');

CREATE TABLE {s}.tasks (
    seq                bigserial NOT NULL,
    id                 uuid PRIMARY KEY,
    run_id             uuid NOT NULL REFERENCES {s}.runs (id) ON DELETE CASCADE,
    org_id             text NOT NULL,
    name               text NOT NULL,
    type               text NOT NULL,
    status             text NOT NULL,
    priority           integer NOT NULL,
    input_json         text,
    output_json        text,
    error_json         text,
    metadata_json      text,
    dependencies       text[] NOT NULL,
    parent_task_id     uuid,
    retry_max_attempts integer NOT NULL,
    retry_initial_ticks bigint NOT NULL,
    retry_max_ticks    bigint NOT NULL,
    retry_factor       double precision NOT NULL,
    retry_jitter       double precision NOT NULL,
    timeout_ticks      bigint,
    attempt            integer NOT NULL DEFAULT 0,
    not_before         timestamptz,
    lease_token        uuid,
    lease_expires_at   timestamptz,
    executor_id        text,
    queue_job_id       text,
    enqueue            boolean NOT NULL,
    remaining_deps     integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    queued_at          timestamptz,
    started_at         timestamptz,
    completed_at       timestamptz,
    UNIQUE (run_id, name)
);
CREATE UNIQUE INDEX tasks_seq ON {s}.tasks (seq);
CREATE INDEX tasks_ready ON {s}.tasks (priority DESC, seq) WHERE status IN ('queued', 'retrying');
CREATE INDEX tasks_leases ON {s}.tasks (lease_expires_at) WHERE status = 'running';
CREATE INDEX tasks_running_run ON {s}.tasks (run_id) WHERE status = 'running';
CREATE INDEX tasks_running_type ON {s}.tasks (type) WHERE status = 'running';
CREATE INDEX tasks_unfinished ON {s}.tasks (run_id) WHERE status NOT IN ('completed', 'failed', 'cancelled', 'skipped');
CREATE INDEX tasks_run_seq ON {s}.tasks (run_id, seq);
CREATE INDEX tasks_org_seq ON {s}.tasks (org_id, seq);

-- Reverse edges of the graph: which tasks wait for a given name, so promotion and skipping are index look-ups.
CREATE TABLE {s}.task_dependencies (
    run_id   uuid NOT NULL REFERENCES {s}.runs (id) ON DELETE CASCADE,
    dep_name text NOT NULL,
    task_id  uuid NOT NULL,
    PRIMARY KEY (run_id, dep_name, task_id)
);

-- A restarted task numbers its attempts from 1 again, so (task_id, number) is not unique; seq orders them.
CREATE TABLE {s}.attempts (
    seq         bigserial PRIMARY KEY,
    task_id     uuid NOT NULL REFERENCES {s}.tasks (id) ON DELETE CASCADE,
    number      integer NOT NULL,
    executor_id text NOT NULL,
    executor_ip text,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    outcome     text,
    error       text
);
CREATE INDEX attempts_task ON {s}.attempts (task_id, seq);

CREATE TABLE {s}.events (
    seq        bigserial PRIMARY KEY,
    org_id     text NOT NULL,
    run_id     uuid NOT NULL,
    task_id    uuid,
    type       text NOT NULL,
    data_json  text,
    created_at timestamptz NOT NULL
);
CREATE INDEX events_run ON {s}.events (run_id);
CREATE INDEX events_org_seq ON {s}.events (org_id, seq);

CREATE TABLE {s}.run_data (
    seq           bigserial NOT NULL,
    id            uuid PRIMARY KEY,
    org_id        text NOT NULL,
    run_id        uuid NOT NULL REFERENCES {s}.runs (id) ON DELETE CASCADE,
    task_id       uuid,
    key           text NOT NULL,
    value_json    text,
    tags          text[] NOT NULL,
    metadata_json text,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX run_data_run_key ON {s}.run_data (run_id, key, seq);
CREATE INDEX run_data_run_seq ON {s}.run_data (run_id, seq);

CREATE TABLE {s}.orgs (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE {s}.api_keys (
    seq                       bigserial NOT NULL,
    id                        text PRIMARY KEY,
    org_id                    text NOT NULL,
    name                      text NOT NULL,
    secret_hash               text NOT NULL,
    permissions               text[] NOT NULL,
    created_at                timestamptz NOT NULL,
    expires_at                timestamptz,
    revoked_at                timestamptz,
    rate_limit                integer,
    rate_limit_window_seconds integer
);
