ALTER TABLE cash_flow_statements DROP COLUMN derived_items;
ALTER TABLE balance_sheets DROP COLUMN derived_items;
ALTER TABLE income_statements
  DROP COLUMN derived_items,
  DROP COLUMN share_split_factor,
  DROP COLUMN general_and_administrative,
  DROP COLUMN selling_and_marketing;
