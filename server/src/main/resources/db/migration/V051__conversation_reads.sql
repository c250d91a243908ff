-- How far each agent has read each conversation: the inbox list's unread markers. Message ids only grow, so
-- "unread" is an inbound message with a larger id than the last one the agent read.
CREATE TABLE conversation_reads (
    agent_id              bigint      NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    conversation_id       bigint      NOT NULL REFERENCES conversations (id),
    workspace_id          bigint      NOT NULL REFERENCES workspaces (id),
    last_read_message_id  bigint      NOT NULL,
    read_at               timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, conversation_id)
);
