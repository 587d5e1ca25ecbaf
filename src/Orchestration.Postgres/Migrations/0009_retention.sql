-- Retention deletes finished webhook deliveries by when they were created; the same index gives the oldest delivery for
-- the storage growth figures. Finished runs already have runs_finished, their events the BRIN index events_run.
CREATE INDEX ix_webhook_deliveries_created ON {s}.webhook_deliveries (created_at);
