ALTER TABLE registration_requests DROP COLUMN lease_expires_at;
