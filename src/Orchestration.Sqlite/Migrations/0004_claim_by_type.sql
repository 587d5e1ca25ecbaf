-- The claim index per task type: a claim names the types it handles, and walking one queue of every type skipped the
-- rows of other types one by one, so an executor whose types had no work read the whole backlog on every claim. The
-- claim reads each named type in claim order and merges them. ix_tasks_claim stays for claims of any type.
CREATE INDEX ix_tasks_claim_type ON tasks (type, priority DESC, seq) WHERE status = 'queued';

-- (run_id, status) was rewritten on both status changes of every task. Only the per-run concurrency limit needs a
-- seek by run and status (its running tasks); finalisation and cancellation read the run's few tasks through
-- ux_tasks_run_name.
DROP INDEX ix_tasks_run_status;
CREATE INDEX ix_tasks_run_running ON tasks (run_id) WHERE status = 'running';
