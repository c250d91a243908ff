package io.throughline.telegram;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of multi-part replies already sent, by delivery, for every bot of this node. Telegram has no
 * idempotency key: a retry continues where a failure stopped instead of sending the earlier parts again. It lives
 * with the connector, not an inbox, so an inbox reloaded between two attempts (any edit of it) still knows.
 */
final class SentParts {

    private static final int REMEMBERED_DELIVERIES = 10_000;

    private final Map<Long, List<Integer>> byDelivery = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, List<Integer>> eldest) {
                    return size() > REMEMBERED_DELIVERIES;
                }
            });

    /** The Telegram message ids of the parts of this delivery sent so far; lock it while adding to it. */
    List<Integer> of(long deliveryId) {
        return byDelivery.computeIfAbsent(deliveryId, id -> new ArrayList<>());
    }

    /** The delivery is done: its parts need not be remembered. */
    void forget(long deliveryId) {
        byDelivery.remove(deliveryId);
    }
}
