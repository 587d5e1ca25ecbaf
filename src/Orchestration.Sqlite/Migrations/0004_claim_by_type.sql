-- The claim index per task type: a claim names the types it handles, and walking one queue of every type skipped the
-- rows of other types one by one, so an executor whose types had no work read the whole backlog on every claim. The
-- claim reads each named type in claim order and merges them; a claim of any type first lists the queued types with
-- one seek each. The queue of all types is no longer read, so its index goes.
CREATE INDEX ix_tasks_claim_type ON tasks (type, priority DESC, seq) WHERE status = 'queued';
DROP INDEX ix_tasks_claim;

-- (run_id, status) was rewritten on both status changes of every task. Only the per-run concurrency limit needs a
-- seek by run and status (its running tasks); finalisation and cancellation read the run's few tasks through
-- ux_tasks_run_name.
DROP INDEX ix_tasks_run_status;
CREATE INDEX ix_tasks_run_running ON tasks (run_id) WHERE status = 'running';
