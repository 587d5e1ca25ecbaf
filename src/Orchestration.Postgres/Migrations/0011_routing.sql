-- Routing by outcome (docs/engine.md, "Routing by outcome"): a task's routes, whether its failure is allowed, the exit
-- code its handler reported, and whether some task of the run routes from it. Completions of such sources leave the
-- one-statement completion batch for a transaction that re-decides the run's routed tasks; all others stay on it.
ALTER TABLE {s}.tasks ADD COLUMN routes text,
                      ADD COLUMN allow_failure boolean NOT NULL DEFAULT false,
                      ADD COLUMN exit_code integer,
                      ADD COLUMN routes_out boolean NOT NULL DEFAULT false;

-- Manual approval: the review of an approval task (who, when, approved or rejected, comments).
ALTER TABLE {s}.tasks ADD COLUMN reviewed_by text,
                      ADD COLUMN reviewed_at timestamptz,
                      ADD COLUMN review_approved boolean,
                      ADD COLUMN review_comments text;
