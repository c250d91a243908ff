package io.throughline.connector;

import java.time.Duration;

/**
 * The remote service answered, but cannot take the request now (flood control, its own trouble): nothing is wrong
 * with the config, and the same save may succeed after {@link #retryAfter()}.
 */
public final class RemoteBusy extends Exception {

    private final Duration retryAfter;

    public RemoteBusy(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
