package io.throughline.connector;

import java.time.Duration;

/**
 * A channel refused or could not take a message. The server retries with backoff unless it is permanent, and
 * shows the reason to agents.
 */
public final class DeliveryFailure extends Exception {

    private final boolean permanent;
    private final Duration retryAfter;
    private final boolean attempted;

    private DeliveryFailure(String reason, boolean permanent, Duration retryAfter, Throwable cause,
                            boolean attempted) {
        super(reason, cause);
        this.permanent = permanent;
        this.retryAfter = retryAfter;
        this.attempted = attempted;
    }

    /** Retrying cannot help: a 5xx SMTP answer, a bot blocked by the user. */
    public static DeliveryFailure permanent(String reason) {
        return new DeliveryFailure(reason, true, null, null, true);
    }

    /** A passing fault: the network, a 4xx SMTP answer, a webhook that is down. */
    public static DeliveryFailure retryable(String reason, Throwable cause) {
        return new DeliveryFailure(reason, false, null, cause, true);
    }

    /** The channel asked us to wait (Telegram's retry_after, HTTP Retry-After). */
    public static DeliveryFailure retryAfter(String reason, Duration wait) {
        return new DeliveryFailure(reason, false, wait, null, true);
    }

    /**
     * The message waits for its channel, and the attempt does not count toward the outbox's limit: the channel did
     * not try at all (its own line of sends is full), or it cannot send anything for now (the inbox's account is
     * over its daily limit, or its password changed). Counting those would fail replies that were never at fault.
     */
    public static DeliveryFailure notAttempted(String reason, Duration wait) {
        return new DeliveryFailure(reason, false, wait, null, false);
    }

    public boolean permanent() {
        return permanent;
    }

    /** False when the channel handed the message back untried ({@link #notAttempted}). */
    public boolean attempted() {
        return attempted;
    }

    /** The wait the channel asked for, or null to use the server's backoff. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
