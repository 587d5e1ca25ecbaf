-- Per-key concurrency limits (NewTask.LimitKey). A task with a key carries it and the limit in force when it was enqueued.
-- Queued tasks with a key leave the per-type claim index for an index of their own, ordered by key and then claim order:
-- the claim reads the head of each key that has a free slot and never walks the tasks of a key at its limit, however
-- many wait there. Tasks without a key, nearly all of them, are claimed exactly as before.
ALTER TABLE tasks ADD COLUMN limit_key TEXT;
ALTER TABLE tasks ADD COLUMN limit_max INTEGER;
DROP INDEX ix_tasks_claim_type;
CREATE INDEX ix_tasks_claim_type ON tasks (type, priority DESC, seq) WHERE status = 'queued' AND limit_key IS NULL;
CREATE INDEX ix_tasks_claim_key ON tasks (limit_key, priority DESC, seq) WHERE status IN ('queued', 'retrying') AND limit_key IS NOT NULL;
CREATE INDEX ix_tasks_running_key ON tasks (limit_key) WHERE status = 'running' AND limit_key IS NOT NULL;
