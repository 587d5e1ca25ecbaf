-- Versioned definitions (Formicary job definitions, stored family-neutral): one row per version of a name in an org.
-- is_latest marks the version lists show; disabled is kept equal on every version of a name.
CREATE TABLE {s}.job_definitions (
    id             text        PRIMARY KEY,
    org_id         text        NOT NULL,
    name           text        NOT NULL,
    version        integer     NOT NULL,
    is_latest      boolean     NOT NULL,
    platform       text,
    tags           text[]      NOT NULL,
    disabled       boolean     NOT NULL DEFAULT false,
    document_json  text        NOT NULL,
    raw_yaml       text,
    created_at     timestamptz NOT NULL,
    UNIQUE (org_id, name, version)
);
CREATE INDEX ix_job_definitions_latest ON {s}.job_definitions (org_id, name) WHERE is_latest;
