-- The website chat widget: its visitors, the files they attach before sending, and their presence.

-- A site key is public (it is in every page's snippet) and names its inbox on every widget request.
CREATE UNIQUE INDEX inboxes_widget_site_key ON inboxes ((config ->> 'siteKey'))
    WHERE kind = 'widget' AND deleted_at IS NULL;

-- One browser's widget session. The visitor token is a bearer secret kept by the chat frame: only its SHA-256 is
-- stored. public_id is the value of the visitor's widget_visitor identity (proven: only the token holder can write
-- as it). principal is the identity whose contact the visitor may see: its own widget_visitor identity, or, after a
-- valid HMAC identify, the site's external id or email of the customer (rule 2: then the whole thread).
CREATE TABLE widget_visitors (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id          bigint      NOT NULL REFERENCES workspaces (id),
    inbox_id              bigint      NOT NULL REFERENCES inboxes (id),
    public_id             text        NOT NULL,
    token_hash            bytea       NOT NULL,
    principal_kind        text        NOT NULL CHECK (principal_kind IN ('widget_visitor', 'external_id', 'email')),
    principal_value       text        NOT NULL,
    -- The signed identity ({externalId, email, name}) when identified, else null.
    identity              jsonb,
    -- What the visitor typed into the pre-chat form or an unsigned identify: claimed only.
    profile               jsonb       NOT NULL DEFAULT '{}',
    -- Where the visitor was last: page URL and title, locale, user agent, IP. Shown to agents.
    context               jsonb       NOT NULL DEFAULT '{}',
    -- The anonymous visitor this browser was before it identified, for a merge suggestion.
    previous_public_id    text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    last_active_at        timestamptz NOT NULL DEFAULT now(),
    -- Presence and receipts (read by the email fallback through widget.VisitorActivity).
    online                boolean     NOT NULL DEFAULT false,
    last_seen_at          timestamptz,
    last_read_message_id  bigint,
    last_read_at          timestamptz
);
CREATE UNIQUE INDEX widget_visitors_token ON widget_visitors (token_hash);
CREATE UNIQUE INDEX widget_visitors_public ON widget_visitors (workspace_id, public_id);
CREATE INDEX widget_visitors_principal ON widget_visitors (workspace_id, principal_kind, principal_value);

-- A file a visitor uploaded, waiting for the message that carries it (ingest then stores it as an attachment).
-- Scoped to its visitor: nobody else can put it in a message.
CREATE TABLE widget_uploads (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  bigint      NOT NULL REFERENCES workspaces (id),
    visitor_id    bigint      NOT NULL REFERENCES widget_visitors (id) ON DELETE CASCADE,
    sha256        text        NOT NULL,
    size          bigint      NOT NULL,
    filename      text        NOT NULL,
    content_type  text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX widget_uploads_visitor ON widget_uploads (visitor_id, id);

-- Presence across nodes without a cluster protocol: a node holds one row per visitor it has a socket for, and
-- renews its own liveness row. A node that dies stops renewing; another node then clears its rows and reports
-- those visitors offline. Per-visitor writes happen only when a visitor comes or goes.
CREATE TABLE widget_nodes (
    node_id      text        PRIMARY KEY,
    alive_until  timestamptz NOT NULL
);

CREATE TABLE widget_presence (
    visitor_id  bigint      NOT NULL REFERENCES widget_visitors (id) ON DELETE CASCADE,
    node_id     text        NOT NULL,
    since       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (visitor_id, node_id)
);
CREATE INDEX widget_presence_node ON widget_presence (node_id);
