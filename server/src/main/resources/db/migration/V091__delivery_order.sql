-- The outbox sends one recipient's replies in order (delivery.DeliveryRepository.claim): finding an older pending
-- delivery to the same place must not scan the outbox.
CREATE INDEX deliveries_pending_target ON deliveries (inbox_id, (target ->> 'value'), id)
    WHERE status = 'pending' AND condition IS NULL;
