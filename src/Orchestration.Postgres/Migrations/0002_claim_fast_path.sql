-- Claims that can take no task of a run with max_concurrency skip the claim lock. Whether a task belongs to such a run
-- is kept on the task itself (max_concurrency never changes after a run is created), so a claim decides it from the
-- same row version it locks, in the same snapshot, with no join and no race against a run created meanwhile.
ALTER TABLE {s}.tasks ADD COLUMN run_limited boolean NOT NULL DEFAULT false;
UPDATE {s}.tasks t SET run_limited = true FROM {s}.runs r WHERE r.id = t.run_id AND r.max_concurrency IS NOT NULL;
-- Answers "is any task of a limited run claimable?" without touching the (large) ready queue of unlimited tasks.
CREATE INDEX tasks_ready_limited ON {s}.tasks (type) WHERE run_limited AND status IN ('queued', 'retrying');

-- Claim candidates in claim order. The ready index already holds them in that order, and reading the first few rows
-- of it is the only sensible plan; but with statistics taken while few tasks were ready (a fresh table, or a burst
-- after a quiet period) the planner estimates a handful of rows and picks a bitmap scan plus a sort of the whole
-- ready queue instead: 60 ms instead of 1 ms per claim with 20,000 ready tasks. enable_sort = off on this function
-- alone rules that plan out. plpgsql keeps the plan for the session. The function's query takes its own snapshot, so
-- a caller that must not take tasks of limited runs says so here (p_unlimited_only) rather than relying on a check in
-- its own snapshot.
CREATE FUNCTION {s}.claim_candidates(p_types text[], p_org text, p_family text, p_now timestamptz, p_limit integer, p_unlimited_only boolean)
RETURNS TABLE (id uuid, run_id uuid, type text, priority integer, seq bigint)
LANGUAGE plpgsql VOLATILE ROWS 100
SET enable_sort = off
AS $$
BEGIN
    RETURN QUERY
    SELECT t.id, t.run_id, t.type, t.priority, t.seq FROM {s}.tasks t
    WHERE (t.status = 'queued' OR (t.status = 'retrying' AND (t.not_before IS NULL OR t.not_before <= p_now)))
      AND (NOT p_unlimited_only OR NOT t.run_limited)
      AND (cardinality(p_types) = 0 OR t.type = ANY (p_types))
      AND (p_org IS NULL OR t.org_id = p_org)
      AND (p_family IS NULL OR EXISTS (SELECT 1 FROM {s}.runs fr WHERE fr.id = t.run_id AND fr.family = p_family))
    ORDER BY t.priority DESC, t.seq
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED;
END
$$;

-- Every claim and every completion writes a new version of the task row (its status is indexed, so no update is HOT)
-- and with it an entry in each index whose predicate the new version meets. Three indexes were redundant: running
-- tasks per run are counted (for max_concurrency) through tasks_unfinished, running tasks per type (for type limits)
-- through tasks_leases, which holds only running tasks, and a run's tasks are found through (run_id, name).
DROP INDEX {s}.tasks_running_run;
DROP INDEX {s}.tasks_running_type;
DROP INDEX {s}.tasks_run_seq;

-- An attempt row is written at claim and updated once at its end (ended_at, outcome, error: no index covers them).
-- Room left on each page lets that update stay on the page (HOT) and skip new entries in both of its indexes.
ALTER TABLE {s}.attempts SET (fillfactor = 80);
