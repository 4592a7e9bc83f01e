-- A per-account session epoch: a password change or "log out everywhere" moves it on, and
-- sessions made under an older one are refused.
ALTER TABLE dynlog_accounts ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
