-- Artifact metadata (the content lives in the host's artifact store under storage_key). Org-scoped like every table.
-- Times are UTC ticks; run and task ids are their text form; tags a JSON array of strings; metadata a JSON object.
CREATE TABLE artifacts (
    id              TEXT    PRIMARY KEY,
    org_id          TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT,
    run_id          TEXT,
    task_id         TEXT,
    task_type       TEXT,
    sha256          TEXT    NOT NULL,
    content_type    TEXT,
    content_length  INTEGER NOT NULL,
    metadata_json   TEXT,
    tags            TEXT    NOT NULL,
    storage_key     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX ix_artifacts_org_created ON artifacts (org_id, created_at DESC, id DESC);
CREATE INDEX ix_artifacts_org_run ON artifacts (org_id, run_id);
CREATE INDEX ix_artifacts_org_sha256 ON artifacts (org_id, sha256);
CREATE INDEX ix_artifacts_created ON artifacts (created_at);
