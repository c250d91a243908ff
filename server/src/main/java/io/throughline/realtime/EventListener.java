package io.throughline.realtime;

import io.vertx.core.json.JsonObject;
import java.util.List;

/** Receives events in seq order, on the feed's context. Must not block. */
public interface EventListener {

    void onEvents(List<Event> events);

    /**
     * Events that committed after the feed had passed their seqs (their transaction held its seq longer than
     * {@code realtime.gapTimeout}): out of seq order, after later events. Only a subscriber whose handling does not
     * depend on the order should take them (the search indexer); by default they are ignored.
     */
    default void onLateEvents(List<Event> events) {
    }

    /** The subscriber fell too far behind and was dropped; it may subscribe again from its last seq. */
    default void onOverflow(long lastDeliveredSeq) {
    }

    /**
     * Events after the subscriber's seq were pruned from the log ({@code realtime.eventRetention}) before it read
     * them, and the subscription is over. By default that is taken as an overflow at the horizon: a subscriber that
     * resubscribes from the seq it is given goes on without what was pruned. One that must not miss an event (the
     * search index, a client's view) starts over instead.
     */
    default void onPruned(long prunedThrough) {
        onOverflow(prunedThrough);
    }

    /**
     * A transient signal (typing): not in the event log, so it has no seq, is never replayed, and may be lost.
     * Delivered only once the subscriber is live.
     */
    default void onTransient(String type, JsonObject data) {
    }

    /** Reading history failed; the subscription is over. */
    default void onError(Throwable cause) {
    }
}
