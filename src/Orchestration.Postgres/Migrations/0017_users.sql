-- Users of an org (Formicary's users) and the link from an API key to the user owning it (a user's token). Token
-- secrets live in api_keys as hashes like every key's.
CREATE TABLE {s}.users (
    id           text        PRIMARY KEY,
    org_id       text        NOT NULL,
    username     text        NOT NULL,
    name         text        NOT NULL,
    email        text        NOT NULL,
    url          text        NOT NULL,
    picture_url  text        NOT NULL,
    permissions  text[]      NOT NULL,
    locked       boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    UNIQUE (org_id, username)
);

CREATE TABLE {s}.user_tokens (
    key_id   text PRIMARY KEY,
    org_id   text NOT NULL,
    user_id  text NOT NULL
);
CREATE INDEX ix_user_tokens_user ON {s}.user_tokens (org_id, user_id);
