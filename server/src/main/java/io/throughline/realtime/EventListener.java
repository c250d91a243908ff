package io.throughline.realtime;

import java.util.List;

/** Receives events in seq order, on the feed's context. Must not block. */
public interface EventListener {

    void onEvents(List<Event> events);

    /** The subscriber fell too far behind and was dropped; it may subscribe again from its last seq. */
    default void onOverflow(long lastDeliveredSeq) {
    }

    /** Reading history failed; the subscription is over. */
    default void onError(Throwable cause) {
    }
}
