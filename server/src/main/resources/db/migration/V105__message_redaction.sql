-- Who removed a message's content (POST /api/v1/messages/{id}/redact); redacted_at says when. A redaction keeps
-- the message's place in its thread and its routing, but nothing a person wrote or attached.
ALTER TABLE messages ADD COLUMN redacted_by bigint REFERENCES agents (id);
