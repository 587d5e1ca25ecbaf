-- Webhook endpoints of each org, their deliveries (the outbox of outgoing calls, one row per endpoint and event) and
-- the dispatcher's cursor in the event sequence. Times are UTC ticks.
CREATE TABLE webhooks (
    id               TEXT    PRIMARY KEY,
    org_id           TEXT    NOT NULL,
    url              TEXT    NOT NULL,
    events           TEXT    NOT NULL, -- JSON array of event names
    secret           TEXT    NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 1,
    disabled_reason  TEXT,
    created_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ix_webhooks_org ON webhooks (org_id, created_at);

CREATE TABLE webhook_deliveries (
    id                TEXT    PRIMARY KEY,
    endpoint_id       TEXT    NOT NULL,
    org_id            TEXT    NOT NULL,
    run_id            TEXT    NOT NULL,
    event_seq         INTEGER NOT NULL,
    event_type        TEXT    NOT NULL,
    payload_json      TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER,
    held_until        INTEGER,
    last_status_code  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    finished_at       INTEGER,
    UNIQUE (endpoint_id, event_seq)
);
-- The order rule (the first pending delivery of an endpoint and run goes first) and the due scan read this index.
CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (endpoint_id, run_id, event_seq) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_cursor (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL
);
INSERT INTO webhook_cursor (id, seq) VALUES (1, 0);
