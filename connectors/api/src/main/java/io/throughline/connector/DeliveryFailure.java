package io.throughline.connector;

import java.time.Duration;

/**
 * A channel refused or could not take a message. The server retries with backoff unless it is permanent, and
 * shows the reason to agents.
 */
public final class DeliveryFailure extends Exception {

    private final boolean permanent;
    private final Duration retryAfter;

    private DeliveryFailure(String reason, boolean permanent, Duration retryAfter, Throwable cause) {
        super(reason, cause);
        this.permanent = permanent;
        this.retryAfter = retryAfter;
    }

    /** Retrying cannot help: a 5xx SMTP answer, a bot blocked by the user. */
    public static DeliveryFailure permanent(String reason) {
        return new DeliveryFailure(reason, true, null, null);
    }

    /** A passing fault: the network, a 4xx SMTP answer, a webhook that is down. */
    public static DeliveryFailure retryable(String reason, Throwable cause) {
        return new DeliveryFailure(reason, false, null, cause);
    }

    /** The channel asked us to wait (Telegram's retry_after, HTTP Retry-After). */
    public static DeliveryFailure retryAfter(String reason, Duration wait) {
        return new DeliveryFailure(reason, false, wait, null);
    }

    public boolean permanent() {
        return permanent;
    }

    /** The wait the channel asked for, or null to use the server's backoff. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
