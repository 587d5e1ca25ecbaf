-- Search terms behind the run list's tag, data-key and input filters: one row per (org, kind, name, value, run), so a
-- filter reads the runs that carry a term from one index range instead of parsing every run's JSON. Kinds: 'i' a
-- top-level field of the run's or one of its tasks' input (strings of at most 200 characters, integers of at most 18
-- digits, booleans; the rest is not searchable), 'k' the key of a run data entry, 't' a tag of one (value '').
-- Triggers keep the table in step with runs, tasks and run_data, so no write path of the store has to remember it.
-- An input is parsed twice per row (json_valid, json_each); json_each over anything but an object gives no text key.
CREATE TABLE run_terms (
    org_id  TEXT NOT NULL,
    kind    TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    run_id  TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, name, value, run_id)
) WITHOUT ROWID;
-- No index on run_id: it would cost every enqueue a second B-tree insert per term. Deleting a run or a task finds its
-- input terms by recomputing them from the deleted row (primary-key lookups); run data terms go with the run data rows.

CREATE TRIGGER run_terms_run_input AFTER INSERT ON runs
WHEN NEW.input IS NOT NULL AND json_valid(NEW.input)
BEGIN
    INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
    SELECT NEW.org_id, 'i', j.key, CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END, NEW.id
    FROM json_each(NEW.input) j
    WHERE typeof(j.key) = 'text' AND length(j.key) <= 100
      AND ((j.type = 'text' AND length(j.value) <= 200)
        OR (j.type = 'integer' AND length(replace(CAST(j.value AS TEXT), '-', '')) <= 18)
        OR j.type IN ('true', 'false'));
END;

CREATE TRIGGER run_terms_task_input AFTER INSERT ON tasks
WHEN NEW.input IS NOT NULL AND json_valid(NEW.input)
BEGIN
    INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
    SELECT NEW.org_id, 'i', j.key, CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END, NEW.run_id
    FROM json_each(NEW.input) j
    WHERE typeof(j.key) = 'text' AND length(j.key) <= 100
      AND ((j.type = 'text' AND length(j.value) <= 200)
        OR (j.type = 'integer' AND length(replace(CAST(j.value AS TEXT), '-', '')) <= 18)
        OR j.type IN ('true', 'false'));
END;

CREATE TRIGGER run_terms_data_insert AFTER INSERT ON run_data
BEGIN
    INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id) VALUES (NEW.org_id, 'k', NEW.key, '', NEW.run_id);
    INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
    SELECT NEW.org_id, 't', j.value, '', NEW.run_id FROM json_each(NEW.tags) j WHERE j.type = 'text';
END;

-- A tag or key leaves the run's terms only when no remaining entry of the run carries it.
CREATE TRIGGER run_terms_data_tags AFTER UPDATE OF tags ON run_data
BEGIN
    INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
    SELECT NEW.org_id, 't', j.value, '', NEW.run_id FROM json_each(NEW.tags) j WHERE j.type = 'text';
    DELETE FROM run_terms
    WHERE org_id = OLD.org_id AND kind = 't' AND value = '' AND run_id = OLD.run_id
      AND name IN (SELECT value FROM json_each(OLD.tags))
      AND NOT EXISTS (SELECT 1 FROM run_data d, json_each(d.tags) j WHERE d.run_id = OLD.run_id AND j.value = run_terms.name);
END;

CREATE TRIGGER run_terms_data_delete AFTER DELETE ON run_data
BEGIN
    DELETE FROM run_terms
    WHERE org_id = OLD.org_id AND kind = 'k' AND name = OLD.key AND value = '' AND run_id = OLD.run_id
      AND NOT EXISTS (SELECT 1 FROM run_data d WHERE d.run_id = OLD.run_id AND d.key = OLD.key);
    DELETE FROM run_terms
    WHERE org_id = OLD.org_id AND kind = 't' AND value = '' AND run_id = OLD.run_id
      AND name IN (SELECT value FROM json_each(OLD.tags))
      AND NOT EXISTS (SELECT 1 FROM run_data d, json_each(d.tags) j WHERE d.run_id = OLD.run_id AND j.value = run_terms.name);
END;

CREATE TRIGGER run_terms_run_delete AFTER DELETE ON runs
WHEN OLD.input IS NOT NULL AND json_valid(OLD.input)
BEGIN
    DELETE FROM run_terms
    WHERE org_id = OLD.org_id AND kind = 'i' AND run_id = OLD.id
      AND (name, value) IN (
        SELECT j.key, CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END
        FROM json_each(OLD.input) j WHERE typeof(j.key) = 'text');
END;

CREATE TRIGGER run_terms_task_delete AFTER DELETE ON tasks
WHEN OLD.input IS NOT NULL AND json_valid(OLD.input)
BEGIN
    DELETE FROM run_terms
    WHERE org_id = OLD.org_id AND kind = 'i' AND run_id = OLD.run_id
      AND (name, value) IN (
        SELECT j.key, CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END
        FROM json_each(OLD.input) j WHERE typeof(j.key) = 'text');
END;

-- Runs written before this version become searchable too.
INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
SELECT r.org_id, 'i', j.key, CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END, r.id
FROM runs r, json_each(r.input) j
WHERE r.input IS NOT NULL AND json_valid(r.input) AND json_type(r.input) = 'object' AND length(j.key) <= 100
  AND ((j.type = 'text' AND length(j.value) <= 200)
    OR (j.type = 'integer' AND length(replace(CAST(j.value AS TEXT), '-', '')) <= 18)
    OR j.type IN ('true', 'false'));
INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
SELECT t.org_id, 'i', j.key, CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(j.value AS TEXT) END, t.run_id
FROM tasks t, json_each(t.input) j
WHERE t.input IS NOT NULL AND json_valid(t.input) AND json_type(t.input) = 'object' AND length(j.key) <= 100
  AND ((j.type = 'text' AND length(j.value) <= 200)
    OR (j.type = 'integer' AND length(replace(CAST(j.value AS TEXT), '-', '')) <= 18)
    OR j.type IN ('true', 'false'));
INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id) SELECT org_id, 'k', key, '', run_id FROM run_data;
INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
SELECT d.org_id, 't', j.value, '', d.run_id FROM run_data d, json_each(d.tags) j WHERE j.type = 'text';
