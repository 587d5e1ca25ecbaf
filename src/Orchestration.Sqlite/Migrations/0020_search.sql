-- Search terms behind the run list's tag, data-key and input filters: one row per (org, kind, name, value, run), so a
-- filter reads the runs that carry a term from one index range instead of parsing every run's JSON. Kinds: 'i' a
-- declared top-level field of the run's or one of its tasks' input (strings of at most 200 characters, integers of at
-- most 18 digits, booleans; the rest is not searchable), 'k' the key of a run data entry, 't' a tag of one (value '').
-- Triggers keep the table in step with run_data, so no write path of the store has to remember it. Input terms are
-- written only for the fields listed in search_fields, by triggers on runs and tasks that the store creates when the
-- list is not empty and drops when it is (SqliteStore.Search.cs): a host that declares no field pays nothing per enqueue.
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

-- The declared input fields (OrchestrationOptions.SearchableInputFields, synced by the store at start-up). The backfill
-- indexes older runs, those with seq up to backfill_until (the newest run when the field was declared), in batches;
-- backfill_seq is the last seq it has indexed, and both are NULL once it is done.
CREATE TABLE search_fields (
    name            TEXT    PRIMARY KEY,
    backfill_seq    INTEGER,
    backfill_until  INTEGER
) WITHOUT ROWID;

-- Run data written before this version becomes searchable too (input fields are declared later, and backfilled then).
INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id) SELECT org_id, 'k', key, '', run_id FROM run_data;
INSERT OR IGNORE INTO run_terms (org_id, kind, name, value, run_id)
SELECT d.org_id, 't', j.value, '', d.run_id FROM run_data d, json_each(d.tags) j WHERE j.type = 'text';
