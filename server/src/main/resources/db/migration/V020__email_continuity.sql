-- Chat-to-email continuity (issue 4). A reply on a live channel (the website chat) can get a second, scheduled
-- delivery by email that is sent only if the customer has not seen the reply by then.

-- When the customer saw an agent message on the channel it went to (the widget records it).
ALTER TABLE messages ADD COLUMN seen_at timestamptz;

-- What must still hold when a scheduled delivery comes due, e.g. {"kind": "unseen", "messageId": 42}; when it no
-- longer holds, the delivery ends as 'skipped' with the reason in last_error.
ALTER TABLE deliveries ADD COLUMN condition jsonb;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'delivered', 'skipped'));
CREATE INDEX deliveries_conditional ON deliveries (message_id) WHERE condition IS NOT NULL AND status = 'pending';
