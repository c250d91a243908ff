-- Until when the receiving side itself asked a pending delivery to wait (Telegram's retry_after, a webhook's
-- Retry-After); NULL for the outbox's own backoff. Saving the inbox's settings makes waiting replies due at once,
-- except these, unless the replies now go elsewhere (another bot, another webhook URL).
ALTER TABLE deliveries ADD COLUMN remote_wait_until timestamptz;
