ALTER TABLE dynlog_configs DROP COLUMN kind;
ALTER TABLE dynlog_audit DROP COLUMN revision;
