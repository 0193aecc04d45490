-- The agent console (docs/CONSOLE.md): agents and their departments, server-side sessions, failed
-- logins (the rate limit), and an audit row per agent action. The router owns cases and queues, so
-- it owns the people who work them.
CREATE TABLE agents (
    agent_id       uuid        PRIMARY KEY,
    name           text        NOT NULL UNIQUE,   -- the login name; cases name the agent as agent:<name>
    role           text        NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash  text        NOT NULL,          -- argon2id, parameters in the hash
    language       text        NOT NULL DEFAULT 'en',
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL,
    demo           boolean     NOT NULL DEFAULT false  -- made by `make run`; refused when HEED_ENV=production
);

CREATE TABLE agent_departments (
    agent_id    uuid NOT NULL REFERENCES agents (agent_id) ON DELETE CASCADE,
    department  text NOT NULL,
    PRIMARY KEY (agent_id, department)
);

-- the cookie holds a random token; only its SHA-256 is kept, so a read of this table logs nobody in
CREATE TABLE agent_sessions (
    token_hash  bytea       PRIMARY KEY,
    agent_id    uuid        NOT NULL REFERENCES agents (agent_id) ON DELETE CASCADE,
    csrf_token  text        NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX agent_sessions_expiry ON agent_sessions (expires_at);

-- failed logins, by the name tried and by the client address, both as keyed hashes: no name or IP kept
CREATE TABLE login_failures (
    key_hash   bytea       NOT NULL,
    failed_at  timestamptz NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key_hash, failed_at);

CREATE TABLE agent_audit (
    seq        bigserial   PRIMARY KEY,
    agent_id   uuid,                    -- null: a login refused for a name nobody has
    action     text        NOT NULL,    -- login, logout, take_next, answer, note, transfer, resolve, …
    case_id    uuid,
    detail     text        NOT NULL DEFAULT '',  -- never a customer's words or an answer's text
    at         timestamptz NOT NULL
);
CREATE INDEX agent_audit_agent ON agent_audit (agent_id, seq);

-- the classification the router received with each mention, shown in the console's case view
ALTER TABLE routed
    ADD COLUMN category       text,
    ADD COLUMN issue_type     text,
    ADD COLUMN sentiment      double precision,
    ADD COLUMN explanation    text,
    ADD COLUMN model_version  text;
