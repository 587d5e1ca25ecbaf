-- Runs that start at a given time: the run keeps its start time for reads; its root tasks wait pending with a
-- not-before time, and a claim queues those whose time has come. Pending tasks with a time are few (only scheduled
-- roots have one), so this index stays small and the claim finds the due ones, or the next due time, in one seek.
ALTER TABLE runs ADD COLUMN scheduled_at INTEGER;
CREATE INDEX ix_tasks_scheduled ON tasks (not_before) WHERE status = 'pending' AND not_before IS NOT NULL;
