-- The company's industry, as SEC classifies it (Standard Industrial Classification), from
-- its submissions document.
ALTER TABLE companies
  ADD COLUMN sic_code VARCHAR(4) NULL,
  ADD COLUMN sic_description VARCHAR(255) NULL;
