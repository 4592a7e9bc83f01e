-- Roles: what an account or a token may do. Accounts and tokens made before roles administered
-- everything, so they become admin; the store always writes the role of a new one.
ALTER TABLE dynlog_accounts ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('viewer', 'operator', 'admin'));
ALTER TABLE dynlog_api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
    CHECK (role IN ('viewer', 'operator', 'admin'));
