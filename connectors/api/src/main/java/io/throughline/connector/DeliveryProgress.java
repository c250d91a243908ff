package io.throughline.connector;

import io.vertx.core.json.JsonObject;

/**
 * What a channel without idempotency keys remembers of one delivery between its attempts (the parts of a long
 * Telegram reply already sent), kept on the delivery itself: a retry claimed by another node, or after a restart,
 * continues where the failure stopped instead of sending those parts again.
 */
public interface DeliveryProgress {

    /** Remembers nothing: for a message not sent through the outbox (a test, a check). */
    DeliveryProgress NONE = new DeliveryProgress() {
        @Override
        public JsonObject saved() {
            return new JsonObject();
        }

        @Override
        public boolean save(JsonObject progress) {
            return true;
        }
    };

    /** What the previous attempts saved; empty when nothing was. */
    JsonObject saved();

    /**
     * Replaces what is saved, at once (not at the end of the attempt). False when this attempt no longer owns the
     * delivery (its lease ran out and another attempt took it over): it must stop sending.
     *
     * @throws RuntimeException when it cannot be written now (the database is away)
     */
    boolean save(JsonObject progress);
}
