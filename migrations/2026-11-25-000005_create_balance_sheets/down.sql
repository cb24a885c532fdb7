DROP TABLE balance_sheets;
