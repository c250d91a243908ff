-- Canned responses: reusable replies an agent inserts from the composer by typing "/" and the short code.
-- Per workspace; a short code names one response, whatever its case.
CREATE TABLE canned_responses (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id         bigint      NOT NULL REFERENCES workspaces (id),
    short_code           text        NOT NULL,
    title                text,
    body                 text        NOT NULL,
    created_by_agent_id  bigint      REFERENCES agents (id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX canned_responses_short_code ON canned_responses (workspace_id, lower(short_code));
