-- Artifact metadata (the content lives in the host's artifact store under storage_key). Org-scoped like every table.
CREATE TABLE {s}.artifacts (
    id              text        PRIMARY KEY,
    org_id          text        NOT NULL,
    name            text        NOT NULL,
    kind            text,
    run_id          uuid,
    task_id         uuid,
    task_type       text,
    sha256          text        NOT NULL,
    content_type    text,
    content_length  bigint      NOT NULL,
    metadata_json   text,
    tags            text[]      NOT NULL,
    storage_key     text        NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX ix_artifacts_org_created ON {s}.artifacts (org_id, created_at DESC, id DESC);
CREATE INDEX ix_artifacts_org_run ON {s}.artifacts (org_id, run_id);
CREATE INDEX ix_artifacts_org_sha256 ON {s}.artifacts (org_id, sha256);
CREATE INDEX ix_artifacts_created ON {s}.artifacts (created_at);
