-- The revision of the write each audit entry belongs to: one operator action, one revision.
ALTER TABLE dynlog_audit ADD COLUMN revision BIGINT;
-- How a config came to be: 'manual' (the form, the API, an import) or 'debug' (a debug action).
ALTER TABLE dynlog_configs ADD COLUMN kind TEXT NOT NULL DEFAULT 'manual';
