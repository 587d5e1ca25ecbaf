-- Retention: finished runs are found by when they finished, their events by run, and old finished webhook deliveries by
-- when they were created (the same index gives the oldest delivery for the storage growth figures).
CREATE INDEX ix_runs_finished ON runs (completed_at) WHERE status IN ('completed', 'failed', 'cancelled');
CREATE INDEX ix_events_run ON events (run_id);
CREATE INDEX ix_webhook_deliveries_created ON webhook_deliveries (created_at);
