package io.throughline.realtime;

/** A subscription to the events of the {@link EventFeed}, which knows how far it has come. */
public interface EventSubscription extends Subscription {

    /**
     * The seq through which every event this subscription covers has been handed to its listener (the listener's
     * calls for them have returned); it passes events the subscription does not cover (other workspaces'), so a
     * subscriber that hears nothing still moves. Late events are not counted. Readable from any thread.
     */
    long position();
}
