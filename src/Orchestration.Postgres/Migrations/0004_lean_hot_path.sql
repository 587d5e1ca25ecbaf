-- A leaner write set per task. Every claim and completion writes a new version of the task row with an entry in each of
-- its indexes, and each row written beside it costs a heap tuple and its own index entries; these are the ones that
-- did not earn their cost.

-- The running attempt lives on the task (executor_id, started_at and attempt were already there): an attempt row is
-- inserted once, when the attempt ends, instead of at the claim and updated at its end. attempt_open says the task's
-- current (or last) running period began with a claim, so its end is an attempt; a client that sets a task running
-- opens none, as before. Reads add the open attempt of a running task from the task row.
ALTER TABLE {s}.tasks ADD COLUMN executor_ip text, ADD COLUMN attempt_open boolean NOT NULL DEFAULT false;
UPDATE {s}.tasks t SET attempt_open = true, executor_ip = a.executor_ip
FROM {s}.attempts a
WHERE a.task_id = t.id AND a.number = t.attempt AND a.ended_at IS NULL AND t.status = 'running';
DELETE FROM {s}.attempts a USING {s}.tasks t
WHERE a.task_id = t.id AND a.number = t.attempt AND a.ended_at IS NULL AND t.status = 'running';

-- Attempts are read per task in seq order (attempts_task) and deleted with their run's tasks by the retention purge;
-- nothing looks one up by seq alone, and the foreign key's only use was the cascade, which the purge now does itself.
-- Rows are no longer updated, so pages are filled.
ALTER TABLE {s}.attempts DROP CONSTRAINT attempts_task_id_fkey;
ALTER TABLE {s}.attempts DROP CONSTRAINT attempts_pkey;
ALTER TABLE {s}.attempts SET (fillfactor = 100);

-- Tasks and dependency edges are written by the store only after it created or locked their run, and deleted with it by
-- the purge: the foreign keys to runs checked every row of every bulk enqueue (a trigger per row) for nothing.
ALTER TABLE {s}.tasks DROP CONSTRAINT tasks_run_id_fkey;
ALTER TABLE {s}.task_dependencies DROP CONSTRAINT task_dependencies_run_id_fkey;

-- No statement reads tasks by seq alone: lists order by seq within an org (tasks_org_seq) or a run ((run_id, name)
-- and a sort of that run's tasks), claims through the ready indexes. The unique index took an entry on every write.
DROP INDEX {s}.tasks_seq;

-- Events are read by seq (the primary key, and per org through events_org_seq); by run only when the purge deletes a
-- run's events. Run ids are time-ordered (UUIDv7) and events are appended, so a BRIN index answers the purge at a
-- tiny fraction of a B-tree's cost per event written.
DROP INDEX {s}.events_run;
CREATE INDEX events_run ON {s}.events USING brin (run_id);
