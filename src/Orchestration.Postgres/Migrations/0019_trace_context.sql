-- The W3C trace context of the operation that created a run (traceparent, tracestate), so the spans of its handlers join
-- that trace on whichever host claims them. Null for runs created outside a sampled trace, and for every older run.
ALTER TABLE {s}.runs ADD COLUMN trace_parent text,
                     ADD COLUMN trace_state text;
