-- Components of SG&A that some filers report instead of the total; the split factor that
-- puts an income statement's per-share figures on the current share basis (1 = no split
-- since it was filed); which line items were computed from their parts.
ALTER TABLE income_statements
  ADD COLUMN selling_and_marketing DECIMAL(24, 2) NULL AFTER research_and_development,
  ADD COLUMN general_and_administrative DECIMAL(24, 2) NULL AFTER selling_and_marketing,
  ADD COLUMN share_split_factor DECIMAL(30, 15) NOT NULL DEFAULT 1 AFTER weighted_average_shares_diluted,
  ADD COLUMN derived_items VARCHAR(255) NOT NULL DEFAULT '' AFTER derived;
ALTER TABLE balance_sheets
  ADD COLUMN derived_items VARCHAR(255) NOT NULL DEFAULT '' AFTER derived;
ALTER TABLE cash_flow_statements
  ADD COLUMN derived_items VARCHAR(255) NOT NULL DEFAULT '' AFTER derived;
