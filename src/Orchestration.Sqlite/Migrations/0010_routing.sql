-- Routing by outcome (docs/engine.md, "Routing by outcome"): a task's routes, whether its failure is allowed, the exit
-- code its handler reported, and whether some task of the run routes from it (a completion of such a task re-decides
-- the run's routed tasks; every other completion stays on the fast path).
ALTER TABLE tasks ADD COLUMN routes TEXT;           -- JSON (RouteRules.ToJson); NULL for none
ALTER TABLE tasks ADD COLUMN allow_failure INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN exit_code INTEGER;
ALTER TABLE tasks ADD COLUMN routes_out INTEGER NOT NULL DEFAULT 0;

-- Manual approval: the review of an approval task (who, when, approved or rejected, comments).
ALTER TABLE tasks ADD COLUMN reviewed_by TEXT;
ALTER TABLE tasks ADD COLUMN reviewed_at INTEGER;
ALTER TABLE tasks ADD COLUMN review_approved INTEGER;
ALTER TABLE tasks ADD COLUMN review_comments TEXT;
