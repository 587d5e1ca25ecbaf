-- Users of an org (Formicary's users) and the link from an API key to the user owning it (a user's token). Token
-- secrets live in api_keys as hashes like every key's. Times are UTC ticks.
CREATE TABLE users (
    id           TEXT    PRIMARY KEY,
    org_id       TEXT    NOT NULL,
    username     TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    email        TEXT    NOT NULL,
    url          TEXT    NOT NULL,
    picture_url  TEXT    NOT NULL,
    permissions  TEXT    NOT NULL, -- JSON array of strings
    locked       INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (org_id, username)
);

CREATE TABLE user_tokens (
    key_id   TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    user_id  TEXT NOT NULL
);
CREATE INDEX ix_user_tokens_user ON user_tokens (org_id, user_id);
