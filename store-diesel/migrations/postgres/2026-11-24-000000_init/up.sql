-- Times are microseconds since the Unix epoch (UTC) in both backends: one type, exact, sortable.
CREATE TABLE dynlog_configs (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE dynlog_triggers (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    is_active BOOLEAN NOT NULL,
    start_at BIGINT,
    end_at BIGINT,
    config_id BIGINT NOT NULL REFERENCES dynlog_configs (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- "Can still win": active, and not ended.
CREATE INDEX dynlog_triggers_can_win ON dynlog_triggers (is_active, end_at);
CREATE INDEX dynlog_triggers_config ON dynlog_triggers (config_id);
CREATE TABLE dynlog_revision (
    id INTEGER PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO dynlog_revision (id, value) VALUES (1, 0);
CREATE TABLE dynlog_audit (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    before TEXT,
    after TEXT
);
CREATE TABLE dynlog_accounts (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE dynlog_api_tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
