-- Search terms behind the run list's tag, data-key and input filters: one row per (org, kind, name, value, run), so a
-- filter reads the runs that carry a term from one index range instead of parsing every run's JSON. Kinds: 'i' a
-- declared top-level field of the run's or one of its tasks' input (strings of at most 200 characters, integers of at
-- most 18 digits, booleans; the rest is not searchable), 'k' the key of a run data entry, 't' a tag of one (value '').
-- Triggers keep the table in step with runs, tasks and run_data, so no write path of the store (COPY included) has to
-- remember it. Input terms are written only for the fields listed in search_fields, by statement-level triggers (one
-- call per enqueue statement) that the store creates when the list is not empty and drops when it is
-- (PostgresStore.Search.cs): a host that declares no field pays nothing per enqueue, not even the transition table.
CREATE TABLE {s}.run_terms (
    org_id  text NOT NULL,
    kind    text NOT NULL,
    name    text NOT NULL,
    value   text NOT NULL,
    run_id  uuid NOT NULL,
    PRIMARY KEY (org_id, kind, name, value, run_id)
);
-- Deleting a run removes its terms through this index.
CREATE INDEX run_terms_run ON {s}.run_terms (run_id);

-- The searchable top-level fields of an input. Inputs are stored as text and an embedded caller may store text that is
-- not JSON: input_terms_fast raises on it (22P02), input_terms gives no rows for it. The triggers run the fast one over
-- the whole statement and fall back to the safe one, whose per-row exception block costs a subtransaction, only when
-- a statement holds such text: its write is not refused, the input is just not searchable.
CREATE FUNCTION {s}.input_terms_fast(p_input text, p_names text[]) RETURNS TABLE (name text, value text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT e.key, CASE jsonb_typeof(e.value) WHEN 'string' THEN e.value #>> '{}' ELSE e.value::text END
    FROM jsonb_each(CASE WHEN ltrim(p_input, E' \t\r\n') LIKE '{%' THEN p_input::jsonb END) e
    WHERE e.key = ANY (p_names)
      AND ((jsonb_typeof(e.value) = 'string' AND length(e.value #>> '{}') <= 200)
        OR (jsonb_typeof(e.value) = 'number' AND e.value::text ~ '^-?[0-9]{1,18}$')
        OR jsonb_typeof(e.value) = 'boolean')
$$;

CREATE FUNCTION {s}.input_terms(p_input text, p_names text[]) RETURNS TABLE (name text, value text)
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN QUERY SELECT f.name, f.value FROM {s}.input_terms_fast(p_input, p_names) f;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN;
END $$;

CREATE FUNCTION {s}.run_terms_of_new_runs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    names text[] := ARRAY(SELECT f.name FROM {s}.search_fields f);
BEGIN
    IF cardinality(names) = 0 THEN RETURN NULL; END IF;
    BEGIN
        INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
        SELECT DISTINCT n.org_id, 'i', t.name, t.value, n.id FROM new_runs n, {s}.input_terms_fast(n.input_json, names) t
        ON CONFLICT DO NOTHING;
    EXCEPTION WHEN invalid_text_representation THEN
        INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
        SELECT DISTINCT n.org_id, 'i', t.name, t.value, n.id FROM new_runs n, {s}.input_terms(n.input_json, names) t
        ON CONFLICT DO NOTHING;
    END;
    RETURN NULL;
END $$;

CREATE FUNCTION {s}.run_terms_of_new_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    names text[] := ARRAY(SELECT f.name FROM {s}.search_fields f);
BEGIN
    IF cardinality(names) = 0 THEN RETURN NULL; END IF;
    BEGIN
        INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
        SELECT DISTINCT n.org_id, 'i', t.name, t.value, n.run_id FROM new_tasks n, {s}.input_terms_fast(n.input_json, names) t
        ON CONFLICT DO NOTHING;
    EXCEPTION WHEN invalid_text_representation THEN
        INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
        SELECT DISTINCT n.org_id, 'i', t.name, t.value, n.run_id FROM new_tasks n, {s}.input_terms(n.input_json, names) t
        ON CONFLICT DO NOTHING;
    END;
    RETURN NULL;
END $$;

CREATE FUNCTION {s}.run_terms_of_new_data() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
    SELECT DISTINCT n.org_id, 'k', n.key, '', n.run_id FROM new_data n
    UNION
    SELECT n.org_id, 't', tag, '', n.run_id FROM new_data n, unnest(n.tags) tag
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
CREATE TRIGGER run_terms_data_insert AFTER INSERT ON {s}.run_data REFERENCING NEW TABLE AS new_data
FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_new_data();
CREATE TRIGGER run_terms_data_update AFTER UPDATE ON {s}.run_data REFERENCING NEW TABLE AS new_data
FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_new_data();

-- A tag or key leaves the run's terms only when no remaining entry of the run carries it.
CREATE FUNCTION {s}.run_terms_of_old_data() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {s}.run_terms rt
    USING (SELECT DISTINCT o.org_id, 'k' AS kind, o.key AS name, o.run_id FROM old_data o
           UNION SELECT o.org_id, 't', tag, o.run_id FROM old_data o, unnest(o.tags) tag) gone
    WHERE rt.org_id = gone.org_id AND rt.kind = gone.kind AND rt.name = gone.name AND rt.value = '' AND rt.run_id = gone.run_id
      AND NOT EXISTS (SELECT 1 FROM {s}.run_data d WHERE d.run_id = gone.run_id
                      AND CASE gone.kind WHEN 'k' THEN d.key = gone.name ELSE gone.name = ANY (d.tags) END);
    RETURN NULL;
END $$;
CREATE TRIGGER run_terms_data_delete AFTER DELETE ON {s}.run_data REFERENCING OLD TABLE AS old_data
FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_old_data();
CREATE TRIGGER run_terms_data_untag AFTER UPDATE ON {s}.run_data REFERENCING OLD TABLE AS old_data
FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_old_data();

CREATE FUNCTION {s}.run_terms_of_old_runs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {s}.run_terms rt USING old_runs o WHERE rt.run_id = o.id;
    RETURN NULL;
END $$;
CREATE TRIGGER run_terms_run_delete AFTER DELETE ON {s}.runs REFERENCING OLD TABLE AS old_runs
FOR EACH STATEMENT EXECUTE FUNCTION {s}.run_terms_of_old_runs();

-- The declared input fields (OrchestrationOptions.SearchableInputFields, synced by the store at start-up). The backfill
-- walks every run in id order (the primary key: no index of its own on the enqueue path), in batches; backfill_after is
-- the last id it has indexed for the field, NULL once it is done. Runs written since the declaration are indexed by the
-- triggers and, when the walk meets them, again, without effect.
CREATE TABLE {s}.search_fields (
    name            text PRIMARY KEY,
    backfill_after  uuid
);

-- Run data written before this version becomes searchable too (input fields are declared later, and backfilled then).
INSERT INTO {s}.run_terms (org_id, kind, name, value, run_id)
SELECT d.org_id, 'k', d.key, '', d.run_id FROM {s}.run_data d
UNION SELECT d.org_id, 't', tag, '', d.run_id FROM {s}.run_data d, unnest(d.tags) tag
ON CONFLICT DO NOTHING;
