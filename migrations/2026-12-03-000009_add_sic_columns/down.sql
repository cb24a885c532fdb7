ALTER TABLE companies
  DROP COLUMN sic_description,
  DROP COLUMN sic_code;
