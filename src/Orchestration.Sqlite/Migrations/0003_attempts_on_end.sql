-- Attempts are written once, when they end. The attempt in progress is the task's own lease (attempt, executor_id,
-- started_at and, new here, executor_ip), and reads show it from the task row; a claim no longer inserts a row that
-- its completion updates.
ALTER TABLE tasks ADD COLUMN executor_ip TEXT;

-- Attempts in flight when the database is upgraded move onto their tasks: the open row's address goes to the task and
-- the row goes away, so the attempt is shown once and its end is written by the new version.
UPDATE tasks SET executor_ip = (
    SELECT a.executor_ip FROM task_attempts a
    WHERE a.task_id = tasks.id AND a.number = tasks.attempt AND a.ended_at IS NULL
    ORDER BY a.seq DESC LIMIT 1)
WHERE status = 'running' AND lease_expires_at IS NOT NULL;

DELETE FROM task_attempts
WHERE ended_at IS NULL
  AND EXISTS (SELECT 1 FROM tasks t
              WHERE t.id = task_attempts.task_id AND t.status = 'running' AND t.lease_expires_at IS NOT NULL AND t.attempt = task_attempts.number);
