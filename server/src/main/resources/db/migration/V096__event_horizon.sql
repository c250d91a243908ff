-- How far the event log has been pruned (realtime.eventRetention): any event with seq <= pruned_through may be
-- gone. A reader resuming from a seq below it (an agent stream, a chat widget, a search index) has lost events and
-- starts over. One row, moved forward in the transaction that deletes the events.
CREATE TABLE event_horizon (
    one             boolean     PRIMARY KEY DEFAULT true CHECK (one),
    pruned_through  bigint      NOT NULL DEFAULT 0,
    pruned_at       timestamptz
);
INSERT INTO event_horizon DEFAULT VALUES;
