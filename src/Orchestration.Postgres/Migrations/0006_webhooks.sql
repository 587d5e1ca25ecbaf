-- Webhook endpoints of each org, their deliveries (the outbox of outgoing calls, one row per endpoint and event) and
-- the dispatcher's cursor in the event sequence, shared by every host on this database.
CREATE TABLE {s}.webhooks (
    id               text        PRIMARY KEY,
    org_id           text        NOT NULL,
    url              text        NOT NULL,
    events           text[]      NOT NULL,
    secret           text        NOT NULL,
    enabled          boolean     NOT NULL DEFAULT true,
    disabled_reason  text,
    created_at       timestamptz NOT NULL
);
CREATE INDEX ix_webhooks_org ON {s}.webhooks (org_id, created_at);

CREATE TABLE {s}.webhook_deliveries (
    id                text        PRIMARY KEY,
    endpoint_id       text        NOT NULL,
    org_id            text        NOT NULL,
    run_id            uuid        NOT NULL,
    event_seq         bigint      NOT NULL,
    event_type        text        NOT NULL,
    payload_json      text        NOT NULL,
    status            text        NOT NULL,
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz,
    held_until        timestamptz,
    last_status_code  integer,
    last_error        text,
    created_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    UNIQUE (endpoint_id, event_seq)
);
-- The order rule (the first pending delivery of an endpoint and run goes first) and the due scan read these.
CREATE INDEX ix_webhook_deliveries_pending ON {s}.webhook_deliveries (endpoint_id, run_id, event_seq) WHERE status = 'pending';
CREATE INDEX ix_webhook_deliveries_due ON {s}.webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE {s}.webhook_cursor (
    id   integer PRIMARY KEY CHECK (id = 1),
    seq  bigint  NOT NULL
);
INSERT INTO {s}.webhook_cursor (id, seq) VALUES (1, 0);
