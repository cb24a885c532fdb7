-- The transactional outbox: a request to ingest a company, written in the same transaction
-- as the company's PENDING row and handed to Kafka by the relay.
CREATE TABLE registration_requests (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(10) NOT NULL,
  state VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  last_error VARCHAR(1000) NULL,
  requested_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  -- NULL until the relay has handed the request to Kafka.
  published_at DATETIME(6) NULL,
  completed_at DATETIME(6) NULL,
  -- The symbol while the request is open, NULL once completed: the unique key on it allows
  -- at most one open request per symbol (NULLs do not collide on MySQL or MariaDB).
  open_symbol VARCHAR(10) GENERATED ALWAYS AS (IF(completed_at IS NULL, symbol, NULL)) STORED,
  UNIQUE KEY uq_registration_requests_open_symbol (open_symbol),
  KEY ix_registration_requests_symbol (symbol, requested_at),
  KEY ix_registration_requests_unpublished (published_at, id),
  CONSTRAINT ck_registration_requests_state
    CHECK (state IN ('QUEUED', 'PUBLISHED', 'IN_PROGRESS', 'COMPLETED', 'FAILED'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
