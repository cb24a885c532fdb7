-- The securities master (SEC company_tickers.json): which symbols exist at all.
CREATE TABLE listings (
  symbol VARCHAR(10) NOT NULL PRIMARY KEY,
  cik VARCHAR(10) NOT NULL,
  name VARCHAR(255) NOT NULL,
  exchange VARCHAR(32) NULL,
  KEY ix_listings_cik (cik),
  KEY ix_listings_name (name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
