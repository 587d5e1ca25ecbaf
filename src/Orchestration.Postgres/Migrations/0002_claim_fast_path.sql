-- Claims that can take no task of a run with max_concurrency skip the claim lock. Whether a task belongs to such a run
-- is kept on the task itself (max_concurrency never changes after a run is created), so a claim decides it from the
-- same row version it locks, in the same snapshot, with no join and no race against a run created meanwhile.
ALTER TABLE {s}.tasks ADD COLUMN run_limited boolean NOT NULL DEFAULT false;
UPDATE {s}.tasks t SET run_limited = true FROM {s}.runs r WHERE r.id = t.run_id AND r.max_concurrency IS NOT NULL;
-- Answers "is any task of a limited run claimable?" without touching the (large) ready queue of unlimited tasks.
CREATE INDEX tasks_ready_limited ON {s}.tasks (type) WHERE run_limited AND status IN ('queued', 'retrying');
