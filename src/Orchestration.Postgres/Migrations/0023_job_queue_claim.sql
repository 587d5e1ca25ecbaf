-- The claim of named types, flat in the backlog (the job queue API's claim, a host's worker). Two reads grew with it:
-- - the family filter, written as an EXISTS inside an OR, cannot become a join, so the planner hashed it: every claim of
--   the job queue API read the whole runs table (finished runs included) to build the hash, 370 of its 380 buffers at
--   20,000 queued jobs;
-- - a claim naming types with no queued work (the sample host's worker: etl, ml_training, ci, generic) walked every entry
--   of tasks_ready, fetching each task to read its type, on every wake-up: 20,000 rows removed by the filter.
-- Waiting tasks without a key by type, in claim order: a claim of one type reads its own range from the front; a claim of
-- several first keeps the types with queued work (one seek each), so types with none cost a seek and no walk.
CREATE INDEX tasks_ready_type ON {s}.tasks (type, priority DESC, seq) WHERE status IN ('queued', 'retrying') AND limit_key IS NULL;

-- As in 0008, plus: one named type (or one left with queued work) is read in its claim order, from tasks_ready_type or,
-- when the statistics say the type is the whole queue, from tasks_ready (either stops at the first live entry); several
-- from tasks_ready as before, restricted to those with queued work; the family is a probe of the task's run (a scalar
-- subquery, never hashed), made only for a row that passed every other filter.
CREATE OR REPLACE FUNCTION {s}.claim_candidates(p_types text[], p_org text, p_family text, p_now timestamptz, p_limit integer, p_unlimited_only boolean)
RETURNS TABLE (id uuid, run_id uuid, type text, priority integer, seq bigint)
LANGUAGE plpgsql VOLATILE ROWS 100
SET enable_sort = off
SET enable_seqscan = off
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
    v_types text[] := coalesce(p_types, '{}');
    v_queued text[] := '{}';
    v_type text;
BEGIN
    IF p_limit <= 0 THEN
        RETURN;
    END IF;
    IF cardinality(v_types) > 1 THEN
        -- One probe per type, planned for that type (force_custom_plan), never a scan (enable_seqscan): an EXISTS is
        -- costed as if matches were spread evenly, so without statistics, or with a queue of one other type, a scan of
        -- the whole queue (or the types joined to it in one statement) looks as cheap as the seek.
        FOREACH v_type IN ARRAY p_types LOOP
            IF EXISTS (SELECT 1 FROM {s}.tasks w WHERE w.type = v_type AND w.status IN ('queued', 'retrying') AND w.limit_key IS NULL) THEN
                v_queued := v_queued || v_type;
            END IF;
        END LOOP;
        v_types := v_queued;
        IF cardinality(v_types) = 0 THEN
            RETURN;
        END IF;
    END IF;
    IF cardinality(v_types) = 1 THEN
        RETURN QUERY
        SELECT t.id, t.run_id, t.type, t.priority, t.seq FROM {s}.tasks t
        WHERE t.type = v_types[1]
          AND (t.status = 'queued' OR (t.status = 'retrying' AND (t.not_before IS NULL OR t.not_before <= p_now)))
          AND t.status IN ('queued', 'retrying') AND t.limit_key IS NULL
          AND (NOT p_unlimited_only OR NOT t.run_limited)
          AND (p_org IS NULL OR t.org_id = p_org)
          AND (p_family IS NULL OR (SELECT fr.family FROM {s}.runs fr WHERE fr.id = t.run_id) = p_family)
        ORDER BY t.priority DESC, t.seq
        LIMIT p_limit
        FOR UPDATE OF t SKIP LOCKED;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT t.id, t.run_id, t.type, t.priority, t.seq FROM {s}.tasks t
    WHERE (t.status = 'queued' OR (t.status = 'retrying' AND (t.not_before IS NULL OR t.not_before <= p_now)))
      AND t.status IN ('queued', 'retrying') AND t.limit_key IS NULL
      AND (NOT p_unlimited_only OR NOT t.run_limited)
      AND (cardinality(v_types) = 0 OR t.type = ANY (v_types))
      AND (p_org IS NULL OR t.org_id = p_org)
      AND (p_family IS NULL OR (SELECT fr.family FROM {s}.runs fr WHERE fr.id = t.run_id) = p_family)
    ORDER BY t.priority DESC, t.seq
    LIMIT p_limit
    FOR UPDATE OF t SKIP LOCKED;
END
$$;
