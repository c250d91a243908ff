-- Deep links that let a customer continue on another channel as the same contact ("Continue on Telegram":
-- https://t.me/<bot>?start=<token>). A link is issued by an agent for one contact and one inbox, is single-use and
-- expires. Only a SHA-256 of the token is stored, so a leaked table opens no thread. Redeeming it (in the ingest
-- transaction of the message that carried it) makes the sender's channel account a proven identity of the contact.
CREATE TABLE contact_links (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id         bigint      NOT NULL REFERENCES workspaces (id),
    contact_id           bigint      NOT NULL REFERENCES contacts (id),
    inbox_id             bigint      NOT NULL REFERENCES inboxes (id),
    token_hash           bytea       NOT NULL UNIQUE,
    created_by_agent_id  bigint      REFERENCES agents (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    expires_at           timestamptz NOT NULL,
    used_at              timestamptz,
    -- The identity that redeemed it ("telegram:123456"), so the same account following it again is recognised.
    used_by              text,
    used_message_id      bigint      REFERENCES messages (id)
);
CREATE INDEX contact_links_contact ON contact_links (workspace_id, contact_id, created_at DESC);
