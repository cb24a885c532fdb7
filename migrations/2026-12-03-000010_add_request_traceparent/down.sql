ALTER TABLE registration_requests
  DROP COLUMN traceparent;
