-- Fairness between orgs at claim time (SqliteStore.Fairness.cs): queued tasks without a key by org, then the per-type
-- claim order. The claim lists the orgs with queued work (one seek each) and reads each org's share from here, so an
-- org's first tasks cost a seek whatever another org's backlog; org-scoped claims (remote executors) read it too.
CREATE INDEX ix_tasks_claim_org ON tasks (org_id, type, priority DESC, seq) WHERE status = 'queued' AND limit_key IS NULL;
