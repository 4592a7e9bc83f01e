-- Each instance's last heartbeat (its status as JSON), so the fleet view works with every
-- propagator. Bookkeeping, not a change: no revision, no audit. At most 1000 rows are kept.
-- reported_at is microseconds since the Unix epoch, as every time here.
CREATE TABLE dynlog_instances (
    instance_id TEXT PRIMARY KEY NOT NULL,
    reported_at BIGINT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX dynlog_instances_reported_at ON dynlog_instances (reported_at);
