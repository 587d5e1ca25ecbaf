-- Events per batch: a claim, completion, failure, finalisation or enqueue statement writes one row per (org, event
-- type) holding the run ids, task ids and data of all its events, in the order the per-event rows had, instead of a
-- row (and two index entries) per event. Reads expand them: event i (0-based) of batch row s has the sequence
-- (s << 12) | i, so a batch holds at most 4,096 events (writers split larger ones) and a watermark inside a batch
-- resumes at the next event of that batch.
--
-- One sequence numbers both tables: the single events still written to events (restarts, approvals, cancellations,
-- a client's own changes) take (nextval << 12), i.e. a batch of one. The sequence starts above every sequence written
-- before this migration, so the cursors consumers kept (webhook deliveries, Last-Event-ID) stay behind every new
-- event. The rows already in events keep their sequences and are read as they are: moving them into batches would
-- renumber events that consumers have already acknowledged.
CREATE SEQUENCE {s}.event_batches_seq;
SELECT setval('{s}.event_batches_seq'::regclass, (coalesce((SELECT max(seq) FROM {s}.events), 0) >> 12) + 1, false);
ALTER TABLE {s}.events ALTER COLUMN seq SET DEFAULT (nextval('{s}.event_batches_seq'::regclass) << 12);

-- A purged run's events are blanked in place (run id null), not removed, so the other events of the row keep their
-- positions and sequences; a row left without any event is deleted. task_ids and data are null when no event of the
-- row has one.
CREATE TABLE {s}.event_batches (
    seq        bigint PRIMARY KEY DEFAULT nextval('{s}.event_batches_seq'::regclass),
    org_id     text NOT NULL,
    type       text NOT NULL,
    run_ids    uuid[] NOT NULL,
    task_ids   uuid[],
    data       text[],
    created_at timestamptz NOT NULL
);
CREATE INDEX event_batches_org_seq ON {s}.event_batches (org_id, seq);
-- The purge finds a run's events among the rows written up to the moment the run finished (every event of a run is
-- written at or before its completion): rows are appended in time order, so a BRIN index bounds that scan to the
-- rows not purged yet at the cost of a few bytes per 128 pages, against a GIN entry per event that an index on
-- run_ids would take on every write.
CREATE INDEX event_batches_created ON {s}.event_batches USING brin (created_at);

-- Every event as one row, in sequence order when sorted by seq: for operators and tests reading the table by hand.
CREATE VIEW {s}.event_log AS
SELECT e.seq, e.org_id, e.run_id, e.task_id, e.type, e.data_json, e.created_at FROM {s}.events e
UNION ALL
SELECT (b.seq << 12) | (x.i - 1), b.org_id, x.run_id, x.task_id, b.type, x.data_json, b.created_at
FROM {s}.event_batches b CROSS JOIN LATERAL unnest(b.run_ids, b.task_ids, b.data) WITH ORDINALITY AS x(run_id, task_id, data_json, i)
WHERE x.run_id IS NOT NULL;
