-- Per-key rate limits ("at most M starts per window"). A task with a key carries the rate in force when it was enqueued
-- (its key's first waiting task decides, as for limit_max, which may now be NULL: a key limited by its rate only).
-- key_rates keeps, per rate-limited key, the fixed window (aligned to the Unix epoch) its starts were last counted in and
-- how many: one row per key, read with one seek by the claim and written in the claim's transaction.
ALTER TABLE tasks ADD COLUMN rate_max INTEGER;
ALTER TABLE tasks ADD COLUMN rate_window_ms INTEGER;
CREATE TABLE key_rates (
    key TEXT NOT NULL PRIMARY KEY,
    window_start_ms INTEGER NOT NULL,
    starts INTEGER NOT NULL
) WITHOUT ROWID;
