package io.throughline.realtime;

/** A live registration on the {@link EventFeed}. */
public interface Subscription {

    /** Stops delivery; safe to call more than once and from any thread. */
    void cancel();
}
