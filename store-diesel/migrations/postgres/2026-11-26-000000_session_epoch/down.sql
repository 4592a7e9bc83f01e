ALTER TABLE dynlog_accounts DROP COLUMN session_epoch;
