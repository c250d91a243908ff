-- Queries that ran per poll tick or per mail and grew with the whole history:
-- the snooze wake-up (every 15 s on every node) scanned all conversations for the few snoozed ones;
CREATE INDEX conversations_snoozed_due ON conversations (snoozed_until) WHERE status = 'snoozed';
-- email threading looked a Message-ID up among the workspace's deliveries by an index led by the inbox.
CREATE INDEX deliveries_external_lookup ON deliveries (workspace_id, external_id) WHERE external_id IS NOT NULL;
