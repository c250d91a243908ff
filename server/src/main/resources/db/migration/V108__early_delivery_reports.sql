-- A channel's report (a bounce) that arrives before its delivery is recorded as sent: a relay slow to answer QUIT,
-- or a node that sent and could not record it, so the send is retried with the same id. Kept here, it is applied in
-- the transaction that records the delivery sent; a report whose delivery never comes goes after seven days.
CREATE TABLE early_delivery_reports (
    id          bigserial   PRIMARY KEY,
    inbox_id    bigint      NOT NULL REFERENCES inboxes (id),
    external_id text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('failed', 'delivered')),
    reason      text,
    report_id   text,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX early_delivery_reports_delivery ON early_delivery_reports (inbox_id, external_id);
CREATE INDEX early_delivery_reports_age ON early_delivery_reports (received_at);
