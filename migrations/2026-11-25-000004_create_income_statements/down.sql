DROP TABLE income_statements;
