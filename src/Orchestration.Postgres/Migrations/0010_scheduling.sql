-- Runs that start at a given time: the run keeps its start time for reads; its root tasks wait pending with a
-- not-before time, and a claim queues those whose time has come. Only scheduled roots are pending with a time, so this
-- index stays small: the due ones and the next due time are one index range each, never a scan of the tasks.
ALTER TABLE {s}.runs ADD COLUMN scheduled_at timestamptz;
CREATE INDEX tasks_scheduled ON {s}.tasks (not_before) WHERE status = 'pending' AND not_before IS NOT NULL;
