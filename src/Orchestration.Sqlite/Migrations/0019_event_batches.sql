-- Events per batch: every write transaction stores its events as one row per stretch of consecutive events of one org
-- (one row for a claim or completion batch of one org), a JSON array of [run id, task id, type, data] in the order
-- they happened, instead of a row (and an index entry) per event. Reads expand them: event i (0-based) of row s has
-- the sequence (s << 12) | i, so a row holds at most 4,096 events (writers split longer stretches) and a watermark
-- inside a row resumes at its next event.
--
-- The rows already in events keep their sequences and are read before the batch rows: moving them would renumber
-- events that consumers (webhook deliveries, Last-Event-ID) have already acknowledged. AUTOINCREMENT starts the batch
-- rows above every earlier sequence and never reuses a number, even after the purge deletes the last row.
--
-- live counts the events of the row not purged: the purge blanks a purged run's events in place (null), so the
-- others keep their positions and sequences, and deletes a row when none is left.
CREATE TABLE event_batches (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    live        INTEGER NOT NULL,
    events      TEXT    NOT NULL
);
-- The purge looks for a finished run's events among the rows written up to its completion.
CREATE INDEX ix_event_batches_created ON event_batches (created_at);
INSERT INTO sqlite_sequence (name, seq) SELECT 'event_batches', coalesce(max(seq), 0) >> 12 FROM events;
