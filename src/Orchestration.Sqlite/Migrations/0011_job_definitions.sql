-- Versioned definitions (Formicary job definitions, stored family-neutral): one row per version of a name in an org.
-- is_latest marks the version lists show; disabled is kept equal on every version of a name. Times are UTC ticks.
CREATE TABLE job_definitions (
    id             TEXT    PRIMARY KEY,
    org_id         TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    is_latest      INTEGER NOT NULL,
    platform       TEXT,
    tags           TEXT    NOT NULL, -- JSON array of strings
    disabled       INTEGER NOT NULL DEFAULT 0,
    document_json  TEXT    NOT NULL,
    raw_yaml       TEXT,
    created_at     INTEGER NOT NULL,
    UNIQUE (org_id, name, version)
);
CREATE INDEX ix_job_definitions_latest ON job_definitions (org_id, name) WHERE is_latest = 1;
