ALTER TABLE dynlog_api_tokens DROP COLUMN role;
ALTER TABLE dynlog_accounts DROP COLUMN role;
