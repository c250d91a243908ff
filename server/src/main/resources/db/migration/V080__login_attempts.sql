-- Login limits shared by every node (agent.LoginThrottle): one row per attempt from an address and per failed
-- login of an account, keyed by a hash so what people typed as an email is never stored.
CREATE TABLE login_attempts (
    key  bytea       NOT NULL,
    at   timestamptz NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);
