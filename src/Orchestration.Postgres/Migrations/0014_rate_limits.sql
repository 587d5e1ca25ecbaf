-- Per-key rate limits ("at most M starts per window"). A task with a key carries the rate in force when it was enqueued
-- (its key's first waiting task decides, as for limit_max, which may now be NULL: a key limited by its rate only).
-- key_rates keeps, per rate-limited key, the fixed window (aligned to the Unix epoch, in milliseconds) its starts were
-- last counted in and how many. Keyed tasks are claimed only under the claim lock held exclusively, so the row a claim
-- reads is the one every earlier claim on any host counted into, and the claim counts its own starts in its transaction.
ALTER TABLE {s}.tasks ADD COLUMN rate_max integer, ADD COLUMN rate_window_ms bigint;
CREATE TABLE {s}.key_rates (
    key text PRIMARY KEY,
    window_start_ms bigint NOT NULL,
    starts integer NOT NULL,
    max_starts integer NOT NULL,
    window_ms bigint NOT NULL
);

-- The start of the window holding p_now, for windows of p_window_ms aligned to the Unix epoch.
CREATE FUNCTION {s}.key_rate_window(p_now timestamptz, p_window_ms bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE
AS $$ SELECT (floor(extract(epoch FROM p_now) * 1000)::bigint / p_window_ms) * p_window_ms $$;

-- How many more tasks of p_key may start in the window holding p_now: one seek into key_rates.
CREATE FUNCTION {s}.key_rate_room(p_key text, p_max integer, p_window_ms bigint, p_now timestamptz)
RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT p_max - coalesce((SELECT r.starts FROM {s}.key_rates r WHERE r.key = p_key AND r.window_start_ms = {s}.key_rate_window(p_now, p_window_ms)), 0)
$$;

-- As in 0008, plus: a key's free slots are also bounded by what its rate window has left, and a key may have no limit on
-- running tasks (limit_max NULL) when its rate limits it. A key held back by either costs the same few probes.
CREATE OR REPLACE FUNCTION {s}.keyed_candidates(p_types text[], p_org text, p_family text, p_now timestamptz, p_limit integer)
RETURNS TABLE (id uuid, run_id uuid, type text, priority integer, seq bigint)
LANGUAGE plpgsql VOLATILE ROWS 10
AS $$
DECLARE
    k text;
    lim integer;
    rmax integer;
    rwin bigint;
    free integer;
BEGIN
    k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL);
    WHILE k IS NOT NULL LOOP
        SELECT w.limit_max, w.rate_max, w.rate_window_ms INTO lim, rmax, rwin FROM {s}.tasks w
        WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key = k
        ORDER BY w.priority DESC, w.seq LIMIT 1;
        free := p_limit;
        IF lim IS NOT NULL THEN
            free := least(free, lim - (SELECT count(*) FROM {s}.tasks r WHERE r.status = 'running' AND r.limit_key IS NOT NULL AND r.limit_key = k AND r.lease_expires_at IS NOT NULL)::integer);
        END IF;
        IF free > 0 AND rmax IS NOT NULL THEN
            free := least(free, {s}.key_rate_room(k, rmax, rwin, p_now));
        END IF;
        IF free > 0 THEN
            RETURN QUERY
            SELECT t.id, t.run_id, t.type, t.priority, t.seq FROM {s}.tasks t
            WHERE t.status IN ('queued', 'retrying') AND t.limit_key IS NOT NULL AND t.limit_key = k
              AND (t.status = 'queued' OR t.not_before IS NULL OR t.not_before <= p_now)
              AND (cardinality(p_types) = 0 OR t.type = ANY (p_types))
              AND (p_org IS NULL OR t.org_id = p_org)
              AND (p_family IS NULL OR EXISTS (SELECT 1 FROM {s}.runs fr WHERE fr.id = t.run_id AND fr.family = p_family))
            ORDER BY t.priority DESC, t.seq
            LIMIT free
            FOR UPDATE OF t SKIP LOCKED;
        END IF;
        k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key > k);
    END LOOP;
END
$$;

-- As in 0008, plus the rate: a key whose window is used up does not send claims to the exclusive path.
CREATE OR REPLACE FUNCTION {s}.keyed_work_ready(p_types text[], p_org text, p_now timestamptz)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    k text;
    lim integer;
    rmax integer;
    rwin bigint;
BEGIN
    k := (SELECT min(w.limit_key) FROM {s}.tasks w WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL);
    WHILE k IS NOT NULL LOOP
        SELECT w.limit_max, w.rate_max, w.rate_window_ms INTO lim, rmax, rwin FROM {s}.tasks w
        WHERE w.status IN ('queued', 'retrying') AND w.limit_key IS NOT NULL AND w.limit_key = k
        ORDER BY w.priority DESC, w.seq LIMIT 1;
        IF (lim IS NULL OR lim > (SELECT count(*) FROM {s}.tasks r WHERE r.status = 'running' AND r.limit_key IS NOT NULL AND r.limit_key = k AND r.lease_expires_at IS NOT NULL))
           AND (rmax IS NULL OR {s}.key_rate_room(k, rmax, rwin, p_now) > 0)
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
