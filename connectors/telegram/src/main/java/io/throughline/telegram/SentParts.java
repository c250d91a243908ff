package io.throughline.telegram;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The parts of multi-part replies already sent, by delivery, for every bot of this node. Telegram has no
 * idempotency key: a retry continues where a failure stopped instead of sending the earlier parts again. It lives
 * with the connector, not an inbox, so an inbox reloaded between two attempts (any edit of it) still knows. A
 * delivery whose parts all went stays remembered (until pushed out by newer ones): its outcome may fail to be
 * recorded, and the attempt after that must not send it again.
 */
final class SentParts {

    private static final int REMEMBERED_DELIVERIES = 10_000;

    private final Map<Long, Sent> byDelivery = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, Sent> eldest) {
                    return size() > REMEMBERED_DELIVERIES;
                }
            });

    /**
     * The Telegram message ids of a delivery's parts sent so far, with the lock to hold while sending and adding
     * to them: a lock, not a monitor, as sends run on virtual threads and wait on the network (a monitor held
     * there pins the carrier thread up to JDK 23, and two slow sends held both cores of a small machine).
     */
    record Sent(ReentrantLock lock, List<Integer> ids) {
    }

    Sent of(long deliveryId) {
        return byDelivery.computeIfAbsent(deliveryId, id -> new Sent(new ReentrantLock(), new ArrayList<>()));
    }
}
