-- A relay claims requests for a short lease, then publishes outside any transaction, so no
-- lock is held while Kafka is slow or down. A request whose lease expired unpublished (its
-- relay crashed) is claimed again.
ALTER TABLE registration_requests ADD COLUMN lease_expires_at DATETIME(6) NULL AFTER published_at;
