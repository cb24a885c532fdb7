-- The W3C trace context of the caller who asked for the request, so the relay and the worker
-- continue that caller's trace (only written while traces are exported).
ALTER TABLE registration_requests
  ADD COLUMN traceparent VARCHAR(128) NULL;
