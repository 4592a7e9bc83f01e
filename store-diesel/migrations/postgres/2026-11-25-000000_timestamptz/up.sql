-- Times become TIMESTAMPTZ (they were microseconds since the Unix epoch in BIGINT): the
-- conversion is exact, since TIMESTAMPTZ keeps microseconds.
ALTER TABLE dynlog_configs
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + created_at * INTERVAL '1 microsecond',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + updated_at * INTERVAL '1 microsecond';
ALTER TABLE dynlog_triggers
    ALTER COLUMN start_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + start_at * INTERVAL '1 microsecond',
    ALTER COLUMN end_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + end_at * INTERVAL '1 microsecond',
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + created_at * INTERVAL '1 microsecond',
    ALTER COLUMN updated_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + updated_at * INTERVAL '1 microsecond';
ALTER TABLE dynlog_audit
    ALTER COLUMN at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + at * INTERVAL '1 microsecond';
ALTER TABLE dynlog_accounts
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + created_at * INTERVAL '1 microsecond';
ALTER TABLE dynlog_api_tokens
    ALTER COLUMN created_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + created_at * INTERVAL '1 microsecond',
    ALTER COLUMN last_used_at TYPE TIMESTAMPTZ USING TIMESTAMPTZ 'epoch' + last_used_at * INTERVAL '1 microsecond';
