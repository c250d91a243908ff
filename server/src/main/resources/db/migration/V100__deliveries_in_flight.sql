-- throughline:no-transaction
-- Sends in flight (pending deliveries under a lease), counted per inbox by every claim to cap one inbox's sends
-- across all nodes (outbox.inboxConcurrency). Few rows: without it, each claim would read every pending delivery.
-- Built concurrently: the nodes still running while it builds keep writing deliveries.
DROP INDEX CONCURRENTLY IF EXISTS deliveries_in_flight;
CREATE INDEX CONCURRENTLY deliveries_in_flight ON deliveries (inbox_id)
    WHERE status = 'pending' AND lease_until IS NOT NULL;
