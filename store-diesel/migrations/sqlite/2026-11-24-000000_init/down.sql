DROP TABLE dynlog_api_tokens;
DROP TABLE dynlog_accounts;
DROP TABLE dynlog_audit;
DROP TABLE dynlog_revision;
DROP TABLE dynlog_triggers;
DROP TABLE dynlog_configs;
