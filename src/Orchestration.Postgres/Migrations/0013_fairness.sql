-- Fairness between orgs at claim time (PostgresStore.Fairness.cs). Waiting tasks without a key by org, in claim order:
-- a fair claim lists the orgs with queued work with a skip scan of it (one seek per such org; an org with nothing
-- waiting costs nothing) and reads each org's share from it, whatever the other orgs' backlogs.
CREATE INDEX tasks_ready_org ON {s}.tasks (org_id, priority DESC, seq) WHERE status IN ('queued', 'retrying') AND limit_key IS NULL;

-- Each org's first claimable tasks, at most its share, locked: those without a key from tasks_ready_org, those with a
-- key through keyed_candidates (only keys with free slots). The caller keeps each org's first share of the union.
CREATE FUNCTION {s}.share_candidates(p_orgs text[], p_shares integer[], p_types text[], p_family text, p_now timestamptz)
RETURNS TABLE (id uuid, run_id uuid, type text, priority integer, seq bigint, org_id text)
LANGUAGE plpgsql VOLATILE ROWS 100
SET enable_sort = off
AS $$
DECLARE
    i integer;
BEGIN
    FOR i IN 1 .. coalesce(cardinality(p_orgs), 0) LOOP
        RETURN QUERY
        SELECT t.id, t.run_id, t.type, t.priority, t.seq, t.org_id FROM {s}.tasks t
        WHERE t.org_id = p_orgs[i] AND t.status IN ('queued', 'retrying') AND t.limit_key IS NULL
          AND (t.status = 'queued' OR t.not_before IS NULL OR t.not_before <= p_now)
          AND (cardinality(p_types) = 0 OR t.type = ANY (p_types))
          AND (p_family IS NULL OR EXISTS (SELECT 1 FROM {s}.runs fr WHERE fr.id = t.run_id AND fr.family = p_family))
        ORDER BY t.priority DESC, t.seq
        LIMIT p_shares[i]
        FOR UPDATE OF t SKIP LOCKED;
        RETURN QUERY
        SELECT k.id, k.run_id, k.type, k.priority, k.seq, p_orgs[i] FROM {s}.keyed_candidates(p_types, p_orgs[i], p_family, p_now, p_shares[i]) k;
    END LOOP;
END
$$;
