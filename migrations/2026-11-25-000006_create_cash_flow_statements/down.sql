DROP TABLE cash_flow_statements;
