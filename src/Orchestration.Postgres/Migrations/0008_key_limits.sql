-- Per-key concurrency limits (NewTask.LimitKey). A task with a key carries it and the limit in force when it was
-- enqueued. Waiting tasks with a key leave the ready index for one of their own, ordered by key and then claim order:
-- a claim visits each key with waiting work, counts its running tasks and locks only as many of its first tasks as the
-- key has free slots, so a key at its limit costs two index probes whatever its backlog. Tasks without a key, nearly
-- all of them, are claimed from the ready index exactly as before.
ALTER TABLE {s}.tasks ADD COLUMN limit_key text, ADD COLUMN limit_max integer;
DROP INDEX {s}.tasks_ready;
CREATE INDEX tasks_ready ON {s}.tasks (priority DESC, seq) WHERE status IN ('queued', 'retrying') AND limit_key IS NULL;
CREATE INDEX tasks_ready_keyed ON {s}.tasks (limit_key, priority DESC, seq) WHERE status IN ('queued', 'retrying') AND limit_key IS NOT NULL;
CREATE INDEX tasks_running_key ON {s}.tasks (limit_key) WHERE status = 'running' AND limit_key IS NOT NULL;

-- As in 0002, plus: tasks with a key are never candidates here (keyed_candidates below serves them).
CREATE OR REPLACE FUNCTION {s}.claim_candidates(p_types text[], p_org text, p_family text, p_now timestamptz, p_limit integer, p_unlimited_only boolean)
RETURNS TABLE (id uuid, run_id uuid, type text, priority integer, seq bigint)
LANGUAGE plpgsql VOLATILE ROWS 100
SET enable_sort = off
AS $$
BEGIN
    RETURN QUERY
    SELECT t.id, t.run_id, t.type, t.priority, t.seq FROM {s}.tasks t
    WHERE (t.status = 'queued' OR (t.status = 'retrying' AND (t.not_before IS NULL OR t.not_before <= p_now)))
      AND t.status IN ('queued', 'retrying') AND t.limit_key IS NULL
      AND (NOT p_unlimited_only OR NOT t.run_limited)
      AND (cardinality(p_types) = 0 OR t.type = ANY (p_types))
      AND (p_org IS NULL OR t.org_id = p_org)
      AND (p_family IS NULL OR EXISTS (SELECT 1 FROM {s}.runs fr WHERE fr.id = t.run_id AND fr.family = p_family))
    ORDER BY t.priority DESC, t.seq
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED;
END
$$;

-- The claimable tasks with a key, locked: per key with waiting work (a skip scan of tasks_ready_keyed), at most the
-- key's free slots (its limit, as its first waiting task carries it, less its running tasks). Only claims holding the
-- claim lock exclusively call it, so the counts of running tasks include every keyed claim committed before, and no
-- keyed claim is in flight elsewhere.
CREATE FUNCTION {s}.keyed_candidates(p_types text[], p_org text, p_family text, p_now timestamptz, p_limit integer)
RETURNS TABLE (id uuid, run_id uuid, type text, priority integer, seq bigint)
LANGUAGE plpgsql VOLATILE ROWS 10
AS $$
DECLARE
    k text;
    lim integer;
    running integer;
BEGIN
    k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL);
    WHILE k IS NOT NULL LOOP
        lim := (SELECT w.limit_max FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key = k
                ORDER BY w.priority DESC, w.seq LIMIT 1);
        running := (SELECT count(*) FROM {s}.tasks r WHERE r.status = 'running' AND r.limit_key IS NOT NULL AND r.limit_key = k AND r.lease_expires_at IS NOT NULL);
        IF lim - running > 0 THEN
            RETURN QUERY
            SELECT t.id, t.run_id, t.type, t.priority, t.seq FROM {s}.tasks t
            WHERE t.status IN ('queued', 'retrying') AND t.limit_key IS NOT NULL AND t.limit_key = k
              AND (t.status = 'queued' OR t.not_before IS NULL OR t.not_before <= p_now)
              AND (cardinality(p_types) = 0 OR t.type = ANY (p_types))
              AND (p_org IS NULL OR t.org_id = p_org)
              AND (p_family IS NULL OR EXISTS (SELECT 1 FROM {s}.runs fr WHERE fr.id = t.run_id AND fr.family = p_family))
            ORDER BY t.priority DESC, t.seq
            LIMIT least(lim - running, p_limit)
            FOR UPDATE OF t SKIP LOCKED;
        END IF;
        k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key > k);
    END LOOP;
END
$$;

-- Whether some key with waiting work has a free slot: the fast claim path asks it, and leaves such claims to the
-- path that holds the claim lock exclusively. A key at its limit answers no with two probes, however many tasks wait.
CREATE FUNCTION {s}.keyed_work_ready(p_types text[], p_org text, p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    k text;
    lim integer;
BEGIN
    k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL);
    WHILE k IS NOT NULL LOOP
        lim := (SELECT w.limit_max FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key = k
                ORDER BY w.priority DESC, w.seq LIMIT 1);
        IF lim > (SELECT count(*) FROM {s}.tasks r WHERE r.status = 'running' AND r.limit_key IS NOT NULL AND r.limit_key = k AND r.lease_expires_at IS NOT NULL)
           AND EXISTS (SELECT 1 FROM {s}.tasks t WHERE t.status IN ('queued', 'retrying') AND t.limit_key IS NOT NULL AND t.limit_key = k
                       AND (t.status = 'queued' OR t.not_before IS NULL OR t.not_before <= p_now)
                       AND (cardinality(p_types) = 0 OR t.type = ANY (p_types))
                       AND (p_org IS NULL OR t.org_id = p_org)) THEN
            RETURN true;
        END IF;
        k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key > k);
    END LOOP;
    RETURN false;
END
$$;
