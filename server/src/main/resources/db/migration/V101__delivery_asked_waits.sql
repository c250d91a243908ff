-- How many of a delivery's attempts ended in a wait the receiving side asked for (Telegram's retry_after, a
-- webhook's 429 or 503 with Retry-After): they count a tenth against outbox.maxAttempts, the other failures whole.
ALTER TABLE deliveries ADD COLUMN asked_waits integer NOT NULL DEFAULT 0;
