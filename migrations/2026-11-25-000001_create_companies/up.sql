-- One row per company the service knows of, whatever its ingestion status.
CREATE TABLE companies (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  symbol VARCHAR(10) NOT NULL,
  cik VARCHAR(10) NULL,
  name VARCHAR(255) NULL,
  exchange VARCHAR(32) NULL,
  currency CHAR(3) NULL,
  -- Month and day the fiscal year ends, as SEC writes it: MMDD.
  fiscal_year_end CHAR(4) NULL,
  status VARCHAR(16) NOT NULL,
  status_reason VARCHAR(1000) NULL,
  created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
  last_ingested_at DATETIME(6) NULL,
  UNIQUE KEY uq_companies_symbol (symbol),
  KEY ix_companies_cik (cik),
  KEY ix_companies_status (status),
  CONSTRAINT ck_companies_status
    CHECK (status IN ('PENDING', 'IN_PROGRESS', 'READY', 'FAILED', 'NOT_FOUND'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
