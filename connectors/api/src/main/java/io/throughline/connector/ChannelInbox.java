package io.throughline.connector;

/**
 * One open inbox on this node. {@link #send} may be called on every node; receiving runs on one node at a time.
 * Every method may block and is called on a virtual thread.
 */
public interface ChannelInbox {

    /**
     * Delivers one outbound message and returns the id the channel gave it. Throws {@link DeliveryFailure} to say
     * whether the server should retry. {@link OutboundMessage#deliveryId()} is stable across retries: pass it on
     * as an idempotency key wherever the protocol has one.
     */
    DeliveryReceipt send(OutboundMessage message) throws DeliveryFailure;

    /**
     * Starts receiving (a poll loop, IDLE, webhook registration) on this node, which holds the inbox's lock. Returns
     * once started; loops run on the inbox's own threads and hand every message to {@link InboxContext#sink()}.
     */
    default void startReceiving() throws Exception {
    }

    /** Stops receiving and returns once every receiving thread has stopped. Must unblock a long poll or IDLE. */
    default void stopReceiving() {
    }

    /** What {@code GET /health} reports for this inbox. */
    default ConnectorHealth health() {
        return ConnectorHealth.up("open");
    }

    /** Releases everything; called after {@link #stopReceiving()}. */
    void close();
}
