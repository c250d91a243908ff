-- Addresses an account signed in from lately (agent.LoginThrottle): an account locked by failed logins from
-- elsewhere still lets its agent in from there, so guesses from strangers cannot lock the agent out. Keyed by a
-- hash of the account and the address, as login_attempts is.
CREATE TABLE login_known_addresses (
    key     bytea       PRIMARY KEY,
    last_at timestamptz NOT NULL
);
CREATE INDEX login_known_addresses_last_at ON login_known_addresses (last_at);
